"""Dualstack Network Load Balancers with real IPv6 traffic (issue 13).

Elastic Load Balancing's documented behaviour (Network Load Balancer guide, "IP address type" and
"Client IP preservation"; the PrivateLink guide's SVC-08 and SVC-12 for what follows from it):
- a dualstack load balancer's nodes have an IPv6 address beside the IPv4 one, and its DNS name
  answers AAAA with them;
- "the Network Load Balancer communicates with targets based on the IP address type of the target
  group": an IPv6 client reaches the targets of an IPv4 group translated, and "the target sees the
  load balancer address rather than the original client address"; an IPv4 client reaches an IPv6
  group's targets the same way the other round;
- client IP preservation works only within one family; proxy protocol v2 carries an IPv6 client's
  address (AF_INET6) to an IPv4 target;
- IPv6 target groups take ip targets and are health-checked over IPv6;
- ipv6.deny_all_igw_traffic is true for internal load balancers and false for internet-facing ones:
  an internet client reaches an internet-facing one's IPv6 address through the internet gateway,
  and not an internal one's.

Layout: one VPC 10.62.0.0/16 with an Amazon /56; subnet A (10.62.1.0/24 + /64 number 1) holds the
client and the load balancers' nodes, subnet B (10.62.2.0/24 + /64 number 2) the target, which
serves tcp 7000 and udp 7001 (one dual-stack socket each) and admits both from the VPC's blocks.
The module is skipped where `dhclient` (the instances' DHCPv6 client) is missing.
"""
import ipaddress

import pytest

from dplib import amazon_64s, canon, ipv6_of, lines, missing_prerequisite, stages, trace, wait_for

_MISSING = missing_prerequisite(tools=("dhclient",))
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")

INTERNET_HOST6 = "3fff::10"  # the simulated internet's IPv6 host


@pytest.fixture(scope="module")
def net(lab):
    import boto3
    ec2 = lab.ec2
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    nets64 = amazon_64s(ec2, vpc)
    block56 = nets64[0].supernet(new_prefix=56)
    sub_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.62.1.0/24", Ipv6CidrBlock=str(nets64[1]),
                              AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sub_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.62.2.0/24", Ipv6CidrBlock=str(nets64[2]),
                              AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    rules = [{"IpProtocol": p, "FromPort": 7000, "ToPort": 7001, "IpRanges": [{"CidrIp": "10.62.0.0/16"}],
              "Ipv6Ranges": [{"CidrIpv6": str(block56)}]} for p in ("tcp", "udp")]
    targets_sg = lab.group(vpc, "targets6", ingress=rules)
    client = lab.launch(sub_a, Ipv6AddressCount=1, wait=False)
    target = lab.launch(sub_b, SecurityGroupIds=[targets_sg], Ipv6AddressCount=1, wait=False)
    for inst in (client, target):
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
        lab.wait_ipv6(inst)
    tcp = lab.serve(target["InstanceId"], "tcp", 7000)
    udp = lab.serve(target["InstanceId"], "udp", 7001)
    lb = elb.create_load_balancer(Name="dual", Type="network", Scheme="internal", IpAddressType="dualstack",
                                  Subnets=[sub_a])["LoadBalancers"][0]
    address = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]
    node4, node6 = address["PrivateIPv4Address"], canon(address["IPv6Address"])
    fast = dict(HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                UnhealthyThresholdCount=2)
    tg4 = elb.create_target_group(Name="tcp4", Protocol="TCP", Port=7000, VpcId=vpc,
                                  **fast)["TargetGroups"][0]["TargetGroupArn"]
    udp4 = elb.create_target_group(Name="udp4", Protocol="UDP", Port=7001, VpcId=vpc, HealthCheckProtocol="TCP",
                                   HealthCheckPort="7000", **fast)["TargetGroups"][0]["TargetGroupArn"]
    tg6 = elb.create_target_group(Name="tcp6", Protocol="TCP", Port=7000, VpcId=vpc, TargetType="ip",
                                  IpAddressType="ipv6", **fast)["TargetGroups"][0]["TargetGroupArn"]
    for tg in (tg4, udp4):
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": target["InstanceId"]}])
    elb.register_targets(TargetGroupArn=tg6, Targets=[{"Id": ipv6_of(target)}])
    for port, proto, tg in ((80, "TCP", tg4), (53, "UDP", udp4), (81, "TCP", tg6)):
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol=proto, Port=port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    return dict(elb=elb, vpc=vpc, block56=block56, sub_a=sub_a, sub_b=sub_b, targets_sg=targets_sg, lb=lb,
                client=client["InstanceId"], client4=client["PrivateIpAddress"], client6=ipv6_of(client),
                target=target["InstanceId"], target4=target["PrivateIpAddress"], target6=ipv6_of(target),
                node4=node4, node6=node6, tg4=tg4, udp4=udp4, tg6=tg6, tcp=tcp, udp=udp)


def peers(bg, since, word="data"):
    return [w[1] for w in lines(bg, since, word)]


def healthy(net, tg):
    states = [h["TargetHealth"]["State"] for h in
              net["elb"].describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]]
    return states == ["healthy"]


def test_nodes_have_ipv6_addresses_and_the_name_answers_aaaa(lab, net):
    """A dualstack load balancer's node has an IPv6 address of its subnet; the VPC resolver answers
    the load balancer's name with it (AAAA) beside the IPv4 one (A)."""
    assert ipaddress.ip_address(net["node6"]) in list(net["block56"].subnets(new_prefix=64))[1]
    name = net["lb"]["DNSName"]
    for qtype, want in (("AAAA", net["node6"]), ("A", net["node4"])):
        rc, out, _ = lab.sh(net["client"], ["dig", "+short", "+time=1", "+tries=2", name, qtype], timeout=10)
        assert rc == 0 and [canon(a) for a in out.split()] == [want], (qtype, out)


def test_ipv6_client_reaches_an_ipv4_target_from_the_node_address(lab, net):
    """An IPv4 target group's target gets an IPv6 client's connection as IPv4 from the node's IPv4
    address (client IP preservation, on for instance targets, works within one family only); the
    stream is whole both ways (30 KB echoed), and an IPv4 client keeps its own address as before."""
    since = net["tcp"].mark()
    assert lab.tcp(net["client"], net["node6"], 80, timeout=3, msg="x" * 30000 + "-end")
    assert peers(net["tcp"], since) == [net["node4"]]
    since = net["tcp"].mark()
    assert lab.tcp(net["client"], net["node4"], 80, timeout=2)
    assert peers(net["tcp"], since) == [net["client4"]]


def test_udp_over_ipv6_to_an_ipv4_target(lab, net):
    since = net["udp"].mark()
    assert lab.udp(net["client"], net["node6"], 53, timeout=2, msg="over-six")
    assert peers(net["udp"], since, "recv") == [net["node4"]]


def test_ipv6_target_group(lab, net):
    """An IPv6 target group's ip target is checked over IPv6 (healthy) and sees IPv6: the node's
    IPv6 address (preserve_client_ip is off for ip targets by default), the IPv6 client's own once
    it is on, and still the node's for an IPv4 client, translated to IPv6."""
    wait_for(lambda: healthy(net, net["tg6"]), timeout=30, what="the IPv6 target healthy")
    since = net["tcp"].mark()
    assert lab.tcp(net["client"], net["node6"], 81, timeout=2)
    assert [canon(p) for p in peers(net["tcp"], since)] == [net["node6"]]
    since = net["tcp"].mark()
    assert lab.tcp(net["client"], net["node4"], 81, timeout=3, msg="y" * 20000 + "-end")
    assert [canon(p) for p in peers(net["tcp"], since)] == [net["node6"]]
    net["elb"].modify_target_group_attributes(TargetGroupArn=net["tg6"], Attributes=[
        {"Key": "preserve_client_ip.enabled", "Value": "true"}])
    try:
        since = net["tcp"].mark()
        assert lab.tcp(net["client"], net["node6"], 81, timeout=2)
        assert [canon(p) for p in peers(net["tcp"], since)] == [net["client6"]]
    finally:
        net["elb"].modify_target_group_attributes(TargetGroupArn=net["tg6"], Attributes=[
            {"Key": "preserve_client_ip.enabled", "Value": "false"}])


def test_target_groups_security_groups_apply_to_the_translated_flow(lab, net):
    """The target's groups see the connection as it arrives: IPv4 from the node. Without the IPv4
    rule nothing passes from an IPv6 client either; the positive control is the same path before."""
    ec2 = lab.ec2
    v4_rule = {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7001, "IpRanges": [{"CidrIp": "10.62.0.0/16"}]}
    assert lab.tcp(net["client"], net["node6"], 80, timeout=2)
    ec2.revoke_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[v4_rule])
    try:
        assert not lab.tcp(net["client"], net["node6"], 80, timeout=1)
        assert lab.tcp(net["client"], net["node6"], 81, timeout=2)  # the IPv6 group's target: IPv6 rule
    finally:
        ec2.authorize_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[v4_rule])


def test_proxy_protocol_v2_carries_the_ipv6_client_to_an_ipv4_target(lab, net):
    """SVC-08, AT-07: with proxy_protocol_v2.enabled an IPv4 target of an IPv6 client gets the header
    as AF_INET6 (0x21) with the client's IPv6 address and the node's IPv6 address and listener port,
    while the TCP connection itself comes from the node's IPv4 address."""
    elb = net["elb"]
    server = lab.serve_proxy_v2(net["target"], 7002)
    tg = elb.create_target_group(Name="proxy6", Protocol="TCP", Port=7002, VpcId=net["vpc"],
                                 HealthCheckPort="7000")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": net["target"]}])
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "proxy_protocol_v2.enabled", "Value": "true"}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=8443,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    ec2 = lab.ec2
    rule = {"IpProtocol": "tcp", "FromPort": 7002, "ToPort": 7002, "IpRanges": [{"CidrIp": "10.62.0.0/16"}]}
    ec2.authorize_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[rule])
    try:
        since = server.mark()
        assert lab.tcp(net["client"], net["node6"], 8443, timeout=3, msg="q" * 30000 + "-end")
        got = lines(server, since, "proxy")
        assert len(got) == 1, server.lines[since:]
        _, family, src, sport, dst, dport, _, peer = got[0]
        assert family == "0x21" and canon(src) == net["client6"] and int(sport) > 0
        assert (canon(dst), dport) == (net["node6"], "8443")
        assert peer == net["node4"]
    finally:
        ec2.revoke_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[rule])
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        server.stop()


def test_trace_through_a_dualstack_load_balancer(lab, net):
    """`openvpc trace` walks the same stages: the listener, the target chosen, and the address the
    target sees (the node's IPv4 one for an IPv6 client of an IPv4 group)."""
    result = trace(lab, net["client"], f"[{net['node6']}]:80", "--protocol", "tcp")
    assert result["allowed"], result
    assert stages(result, "load-balancer")[0]["component"] == net["lb"]["LoadBalancerArn"]
    assert result["translated_destination"] == net["target4"]
    assert result["translated_source"] == net["node4"]


def test_internet_reaches_an_internet_facing_dualstack_nlb_over_ipv6_not_an_internal_one(lab, net):
    """ipv6.deny_all_igw_traffic: false for an internet-facing load balancer (3fff::10 reaches its
    node's IPv6 address through the internet gateway, and the target, with an IPv4 group, sees the
    node's IPv4 address), true for an internal one (nothing passes to the internal node's IPv6
    address on the same path)."""
    ec2, elb = lab.ec2, net["elb"]
    igw = lab.internet_gateway(net["vpc"])
    lab.route_table(net["vpc"], net["sub_a"], {"0.0.0.0/0": igw, "::/0": igw})
    public = elb.create_load_balancer(Name="dual-public", Type="network", IpAddressType="dualstack",
                                      Subnets=[net["sub_a"]])["LoadBalancers"][0]
    attrs = {a["Key"]: a["Value"] for a in
             elb.describe_load_balancer_attributes(LoadBalancerArn=public["LoadBalancerArn"])["Attributes"]}
    assert attrs["ipv6.deny_all_igw_traffic"] == "false"
    attrs = {a["Key"]: a["Value"] for a in
             elb.describe_load_balancer_attributes(LoadBalancerArn=net["lb"]["LoadBalancerArn"])["Attributes"]}
    assert attrs["ipv6.deny_all_igw_traffic"] == "true"
    public6 = canon(public["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["IPv6Address"])
    tg = elb.create_target_group(Name="public6", Protocol="TCP", Port=7000, VpcId=net["vpc"],
                                 HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": net["target"]}])
    elb.create_listener(LoadBalancerArn=public["LoadBalancerArn"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    # The internet's resolver answers the public name's AAAA with the node's IPv6 address.
    rc, out, _ = lab.sh("internet", ["dig", "+short", "+time=1", "+tries=2", "@203.0.113.53", public["DNSName"],
                                     "AAAA"])
    assert rc == 0 and [canon(a) for a in out.split()] == [public6], out
    since = net["tcp"].mark()
    assert lab.tcp("internet", public6, 80, timeout=2, msg="from-afar")
    node = ec2.describe_network_interfaces(Filters=[{"Name": "description", "Values": [
        "ELB " + public["LoadBalancerArn"].split(":loadbalancer/")[1]]}])["NetworkInterfaces"][0]
    assert peers(net["tcp"], since) == [node["PrivateIpAddress"]]
    assert not lab.tcp("internet", net["node6"], 80, timeout=1)
    result = trace(lab, "internet", f"[{net['node6']}]:80", "--protocol", "tcp")
    assert not result["allowed"] and "DenyAllIgwTraffic" in result["stages"][-1].get("note", ""), result
