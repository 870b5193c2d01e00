"""Issue 12 on real traffic: one VPC over many hosts.

Layout (fixture cluster, multihost.py): a 3-member etcd cluster, two API servers on it, and three
agents: host1 and host2 run instances, host3 (--gateway) runs instances, the simulated internet and
the NAT gateways. Instances are placed by RunInstances; spread placement groups put them on distinct
hosts, which each test checks with `openvpc hosts` before it sends anything.

What the issue asks, and the rules the same traffic obeys on one host:
- instances on different hosts reach each other; security groups (SG-1 stateful, CT-1/CT-2) and
  network ACLs (N6, stateless) hold across hosts exactly as on one host;
- scenario S1 (public subnet, internet gateway, I1-I3) and scenarios S3/S4 (private subnet behind a
  NAT gateway, K1, K6) with the instances on hosts that have no internet of their own;
- VPC peering (T1, T3) across hosts;
- a write on the second API server is enforced on every host;
- kill -9 of an agent: its instances turn impaired (DescribeInstanceStatus), the others keep working;
  started again, it rebuilds its instances from etcd; kill -9 of the gateway host: another gateway host
  takes its NAT gateways over and new connections through them work again.
"""
import os
import shutil
import tempfile
import time

import pytest

from dplib import SETTLE, Lab, acl_entry, associate_acl, wait_for
import multihost
import etcd_cluster

pytestmark = pytest.mark.skipif(not etcd_cluster.available(), reason="etcd (Debian's etcd-server) is not installed")

INTERNET = "internet"
INTERNET_HOST = "203.0.113.10"
ALL_TCP_FROM_VPC = {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
ICMP_FROM_ANYWHERE = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
WEB_8080 = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@pytest.fixture(scope="module")
def cluster(openvpc_binary):
    base = tempfile.mkdtemp(prefix="openvpc-mh-")
    c = multihost.Cluster(openvpc_binary, base)
    try:
        c.start()
        yield c
    finally:
        problems = c.stop()
        if problems:
            pytest.fail("; ".join(problems) + f" (kept: {base})")
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def mlab(cluster):
    lab = Lab(cluster)
    yield lab
    lab.close()


def spread(mlab, name, subnet, count, groups=None, **kw):
    """COUNT instances in SUBNET on distinct hosts (a spread placement group)."""
    ec2 = mlab.ec2
    ec2.create_placement_group(GroupName=name, Strategy="spread")
    extra = {"SecurityGroupIds": groups} if groups else {}
    insts = [mlab.launch(subnet, Placement={"GroupName": name}, **extra, **kw) for _ in range(count)]
    return insts


def hosts_of(cluster, insts):
    return [cluster.host_of(i["InstanceId"]) for i in insts]


def behind_a_nat_gateway(mlab, vpc, cidr):
    """A new NAT gateway in the public subnet (its Elastic IP) and a new subnet CIDR routed to it."""
    ec2 = mlab.ec2
    eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=vpc["public"], AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
    rtb = ec2.create_route_table(VpcId=vpc["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    sub = mlab.subnet(vpc["vpc"], cidr)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)
    return eip, sub


@pytest.fixture(scope="module")
def vpc(mlab):
    vpc = mlab.vpc("10.0.0.0/16")
    igw = mlab.internet_gateway(vpc)
    public = mlab.subnet(vpc, "10.0.1.0/24")
    mlab.route_table(vpc, public, {"0.0.0.0/0": igw})
    private = mlab.subnet(vpc, "10.0.2.0/24")
    return {"vpc": vpc, "igw": igw, "public": public, "private": private}


def test_instances_on_different_hosts_reach_each_other_and_groups_hold(cluster, mlab, vpc):
    web = mlab.group(vpc["vpc"], "web-8080", ingress=[WEB_8080, ICMP_FROM_ANYWHERE])
    a, b, c = spread(mlab, "sg-spread", vpc["private"], 3, groups=[web])
    assert len(set(hosts_of(cluster, [a, b, c]))) == 3, "a spread group puts each instance on its own host"
    mlab.serve(b["InstanceId"], "tcp", 8080)
    mlab.serve(b["InstanceId"], "tcp", 9090)
    # Positive control on the same path: the port the group admits (SG-1), and ICMP.
    assert mlab.ping(a["InstanceId"], b["PrivateIpAddress"])
    assert mlab.tcp(a["InstanceId"], b["PrivateIpAddress"], 8080)
    # A port no rule admits is dropped at B's host, whatever the host of the sender.
    assert not mlab.tcp(a["InstanceId"], b["PrivateIpAddress"], 9090, timeout=1)
    # Stateful (CT-1/CT-2): B's replies go back to A although A's group admits nothing from B's port.
    assert mlab.tcp(c["InstanceId"], b["PrivateIpAddress"], 8080)
    # A rule added through the second API server is enforced on B's host.
    cluster.client(server=1).authorize_security_group_ingress(
        GroupId=web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 9090, "ToPort": 9090,
                                     "IpRanges": [{"CidrIp": a["PrivateIpAddress"] + "/32"}]}])
    wait_for(lambda: mlab.tcp(a["InstanceId"], b["PrivateIpAddress"], 9090), timeout=SETTLE,
             what="a rule written on API server B enforced across hosts")
    assert not mlab.tcp(c["InstanceId"], b["PrivateIpAddress"], 9090, timeout=1), "the rule names A only"


def test_network_acls_hold_across_hosts(cluster, mlab, vpc):
    ec2 = mlab.ec2
    sub_x = mlab.subnet(vpc["vpc"], "10.0.10.0/24")
    sub_y = mlab.subnet(vpc["vpc"], "10.0.11.0/24")
    ec2.create_placement_group(GroupName="acl-spread", Strategy="spread")
    open_group = mlab.group(vpc["vpc"], "acl-open", ingress=[ALL_TCP_FROM_VPC, ICMP_FROM_ANYWHERE])
    x = mlab.launch(sub_x, Placement={"GroupName": "acl-spread"}, SecurityGroupIds=[open_group])
    y = mlab.launch(sub_y, Placement={"GroupName": "acl-spread"}, SecurityGroupIds=[open_group])
    assert cluster.host_of(x["InstanceId"]) != cluster.host_of(y["InstanceId"])
    mlab.serve(y["InstanceId"], "tcp", 7000)
    assert mlab.tcp(x["InstanceId"], y["PrivateIpAddress"], 7000)  # positive control
    acl = ec2.create_network_acl(VpcId=vpc["vpc"])["NetworkAcl"]["NetworkAclId"]
    # N6: Y's subnet lets in everything but tcp 7000 from X's subnet; out, everything.
    ec2.create_network_acl_entry(**acl_entry(acl, 90, "deny", cidr="10.0.10.0/24", protocol="6", ports=(7000, 7000)))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    associate_acl(mlab, sub_y, acl)
    wait_for(lambda: not mlab.tcp(x["InstanceId"], y["PrivateIpAddress"], 7000, timeout=0.5), timeout=SETTLE,
             what="the ACL's deny enforced on Y's host")
    assert mlab.ping(x["InstanceId"], y["PrivateIpAddress"]), "the same path still carries what the ACL allows"


def test_scenarios_s1_s3_public_instances_on_hosts_without_an_internet(cluster, mlab, vpc):
    """S1/S3: instances in the public subnet reached from the internet by an Elastic IP (the first)
    or a public IPv4 address given at launch (the others), on each host."""
    web = mlab.group(vpc["vpc"], "s1-web", ingress=[WEB_8080, ICMP_FROM_ANYWHERE])
    mlab.ec2.create_placement_group(GroupName="s1-spread", Strategy="spread")
    insts = []
    for n in range(3):
        inst = mlab.ec2.run_instances(ImageId=mlab.image_id(), InstanceType="t3.medium", MinCount=1, MaxCount=1,
                                      Placement={"GroupName": "s1-spread"}, NetworkInterfaces=[{
                                          "DeviceIndex": 0, "SubnetId": vpc["public"], "Groups": [web],
                                          "AssociatePublicIpAddress": n > 0}])["Instances"][0]
        mlab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
        insts.append(inst)
    eip = mlab.ec2.allocate_address(Domain="vpc")
    mlab.ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=insts[0]["InstanceId"])
    hosts = hosts_of(cluster, insts)
    assert len(set(hosts)) == 3
    for inst in insts:
        desc = mlab.ec2.describe_instances(InstanceIds=[inst["InstanceId"]])["Reservations"][0]["Instances"][0]
        public_ip = desc["PublicIpAddress"]
        if inst is insts[0]:
            assert public_ip == eip["PublicIp"]
        mlab.serve(inst["InstanceId"], "tcp", 8080)
        # I1-I3: in from the internet to the public address, out to the internet host, on every host;
        # only host3 has the internet: the others reach it by the underlay.
        assert mlab.tcp(INTERNET, public_ip, 8080, timeout=2), (cluster.host_of(inst["InstanceId"]), public_ip)
        assert mlab.ping(inst["InstanceId"], INTERNET_HOST)
        # Nothing unsolicited on a port the group does not open (positive control above).
        assert not mlab.tcp(INTERNET, public_ip, 22, timeout=0.5)


def test_scenario_s4_private_instances_through_the_nat_gateway(cluster, mlab, vpc):
    eip, sub = behind_a_nat_gateway(mlab, vpc, "10.0.20.0/24")
    insts = spread(mlab, "s4-spread", sub, 3)
    assert len(set(hosts_of(cluster, insts))) == 3
    server = mlab.serve(INTERNET, "tcp", 8080)
    for inst in insts:
        since = server.mark()
        # K1/K6: out through the NAT gateway, whichever host the instance runs on; the internet sees
        # the gateway's Elastic IP.
        assert mlab.tcp(inst["InstanceId"], INTERNET_HOST, 8080, timeout=2), cluster.host_of(inst["InstanceId"])
        assert server.wait_line(lambda line: line.startswith(f"conn {eip['PublicIp']} "), 2, since=since), \
            server.lines[since:]
    # Nothing comes in unsolicited through the NAT gateway's address.
    mlab.serve(insts[0]["InstanceId"], "tcp", 8081)
    assert not mlab.tcp(INTERNET, eip["PublicIp"], 8081, timeout=0.5)


def test_peering_across_hosts(cluster, mlab):
    ec2 = mlab.ec2
    v1, v2 = mlab.vpc("10.1.0.0/16"), mlab.vpc("10.2.0.0/16")
    s1, s2 = mlab.subnet(v1, "10.1.1.0/24"), mlab.subnet(v2, "10.2.1.0/24")
    g1 = mlab.group(v1, "p1", ingress=[ALL_TCP_FROM_VPC, ICMP_FROM_ANYWHERE])
    g2 = mlab.group(v2, "p2", ingress=[ALL_TCP_FROM_VPC, ICMP_FROM_ANYWHERE])
    ec2.create_placement_group(GroupName="peer-spread", Strategy="spread")
    a = mlab.launch(s1, Placement={"GroupName": "peer-spread"}, SecurityGroupIds=[g1])
    b = mlab.launch(s2, Placement={"GroupName": "peer-spread"}, SecurityGroupIds=[g2])
    assert cluster.host_of(a["InstanceId"]) != cluster.host_of(b["InstanceId"])
    mlab.serve(b["InstanceId"], "tcp", 6000)
    # No peering yet: no route (the VPCs are apart).
    assert not mlab.tcp(a["InstanceId"], b["PrivateIpAddress"], 6000, timeout=0.5)
    pcx = ec2.create_vpc_peering_connection(VpcId=v1, PeerVpcId=v2)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    for vpc_id, cidr in ((v1, "10.2.0.0/16"), (v2, "10.1.0.0/16")):
        main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                  {"Name": "association.main", "Values": ["true"]}])
        ec2.create_route(RouteTableId=main["RouteTables"][0]["RouteTableId"], DestinationCidrBlock=cidr,
                         VpcPeeringConnectionId=pcx)
    # T1: with routes on both sides, the peers talk, across hosts.
    wait_for(lambda: mlab.tcp(a["InstanceId"], b["PrivateIpAddress"], 6000), timeout=SETTLE,
             what="peering across hosts")
    assert mlab.ping(b["InstanceId"], a["PrivateIpAddress"])


def test_a_dead_agent_impairs_its_instances_only_and_rebuilds_them(cluster, mlab, vpc):
    ec2 = mlab.ec2
    g = mlab.group(vpc["vpc"], "dead-open", ingress=[ALL_TCP_FROM_VPC, ICMP_FROM_ANYWHERE])
    insts = spread(mlab, "dead-spread", vpc["private"], 3, groups=[g])
    by_host = {cluster.host_of(i["InstanceId"]): i for i in insts}
    victim, others = by_host["host1"], [by_host["host2"], by_host["host3"]]
    cluster.agents["host1"].kill9()

    def status(inst):
        s = ec2.describe_instance_status(InstanceIds=[inst["InstanceId"]])["InstanceStatuses"]
        return s[0]["SystemStatus"]["Status"] if s else None

    wait_for(lambda: status(victim) == "impaired", timeout=SETTLE, what="the dead host's instance impaired")
    assert [status(i) for i in others] == ["ok", "ok"]
    # The others keep working (positive control on the same kind of path).
    assert mlab.ping(others[0]["InstanceId"], others[1]["PrivateIpAddress"])
    # Started again, the agent rebuilds its instances from etcd: reachable again, status ok.
    cluster.agents["host1"].start()
    wait_for(lambda: status(victim) == "ok", timeout=SETTLE, what="the instance back")
    mlab.wait_address(victim["InstanceId"], victim["PrivateIpAddress"], timeout=SETTLE)
    wait_for(lambda: mlab.ping(others[0]["InstanceId"], victim["PrivateIpAddress"]), timeout=SETTLE,
             what="the rebuilt instance reachable")


def test_the_nat_gateway_moves_when_the_gateway_host_dies(cluster, mlab, vpc):
    _, sub = behind_a_nat_gateway(mlab, vpc, "10.0.30.0/24")
    insts = spread(mlab, "gw-spread", sub, 3)
    inst = [i for i in insts if cluster.host_of(i["InstanceId"]) == "host1"][0]  # outlives the gateway host
    # A second gateway host, named after the first so that host3 stays the active one until it dies.
    cluster.add_agent("host4", True, 4)
    server = mlab.serve(INTERNET, "tcp", 8090)
    assert mlab.tcp(inst["InstanceId"], INTERNET_HOST, 8090, timeout=2)  # through host3
    server.stop()
    started = time.monotonic()
    cluster.agents["host3"].kill9()
    # host4's internet is the internet now: serve there, and connect anew until it works.
    wait_for(lambda: cluster.hosts().get("host3") is None, timeout=SETTLE, what="host3's lease expired")
    server = mlab.serve(INTERNET, "tcp", 8090)
    wait_for(lambda: mlab.tcp(inst["InstanceId"], INTERNET_HOST, 8090, timeout=1), timeout=SETTLE,
             what="a new connection through the NAT gateway on host4")
    print(f"NAT gateway path back {time.monotonic() - started:.1f} s after kill -9 of the gateway host "
          f"(lease TTL {cluster.agents['host3'].lease_ttl} s)")
    # host3 comes back (its leftovers cleaned up at start) and stops cleanly at the end.
    cluster.agents["host3"].start()


def test_console_output_of_an_instance_on_another_host(cluster, mlab, vpc):
    """GetConsoleOutput on any API server: the agent that runs the instance reports what its
    console printed into the model (the last 64 KB, as AWS returns)."""
    script = "#!/bin/sh\necho console-of-$(hostname)-is-here\n"
    inst = mlab.launch(vpc["private"], UserData=script)
    assert cluster.host_of(inst["InstanceId"]) is not None
    b = cluster.client(server=1)

    def printed():  # boto3 decodes the base64 Output
        return "console-of-" in (b.get_console_output(InstanceId=inst["InstanceId"]).get("Output") or "")

    wait_for(printed, timeout=SETTLE, what="the console output through the other API server")
