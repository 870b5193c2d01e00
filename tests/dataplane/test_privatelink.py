"""PrivateLink with real traffic (issue 14): a consumer account's instance reaches a provider
account's Network Load Balancer through an interface endpoint, and nothing else crosses. The
rules and acceptance scenarios are shared/spec/inventory-privatelink.md's (AT-03, AT-05, AT-07,
AT-09, AT-19, AT-23; IF-01, IF-08, IF-12, SVC-08, SVC-14, DNS-05, DNS-07).
"""
import pytest

from dplib import GUEST_PYTHON, lines, stages, trace

PROVIDER_TCP = [{"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7001, "IpRanges": [{"CidrIp": "10.70.0.0/16"}]}]
ENDPOINT_80 = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.71.0.0/16"}]}


@pytest.fixture(scope="module")
def net(lab):
    import boto3
    ec2 = lab.ec2
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    consumer = lab.ec2_other
    # The provider: an internal NLB in us-east-1a and us-east-1b, its one target in us-east-1a.
    pvpc = lab.vpc("10.70.0.0/16")
    p_a = lab.subnet(pvpc, "10.70.1.0/24", az="us-east-1a")
    p_b = lab.subnet(pvpc, "10.70.2.0/24", az="us-east-1b")
    target_sg = lab.group(pvpc, "service", ingress=PROVIDER_TCP)
    target = lab.launch(p_a, SecurityGroupIds=[target_sg])
    server = lab.serve(target["InstanceId"], "tcp", 7000)
    lb = elb.create_load_balancer(Name="svc", Type="network", Scheme="internal", Subnets=[p_a, p_b])["LoadBalancers"][0]
    nodes = {z["ZoneName"]: z["LoadBalancerAddresses"][0]["PrivateIPv4Address"] for z in lb["AvailabilityZones"]}
    tg = elb.create_target_group(Name="svc", Protocol="TCP", Port=7000, VpcId=pvpc,
                                 TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": target["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    svc = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[lb["LoadBalancerArn"]])[
        "ServiceConfiguration"]
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"],
                                                AddAllowedPrincipals=["arn:aws:iam::210987654321:root", "*"])
    # The consumer: another account, its own addresses, an endpoint in both zones.
    cvpc = lab.vpc("10.71.0.0/16", client=consumer)
    c_a = lab.subnet(cvpc, "10.71.1.0/24", client=consumer, az="us-east-1a")
    c_b = lab.subnet(cvpc, "10.71.2.0/24", client=consumer, az="us-east-1b")
    client = lab.launch(c_a, client=consumer)
    endpoint_sg = lab.group(cvpc, "endpoint", ingress=[ENDPOINT_80], client=consumer)
    e = consumer.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=cvpc, ServiceName=svc["ServiceName"],
                                     SecurityGroupIds=[endpoint_sg],
                                     SubnetConfigurations=[{"SubnetId": c_a, "Ipv4": "10.71.1.50"},
                                                           {"SubnetId": c_b, "Ipv4": "10.71.2.50"}])["VpcEndpoint"]
    return dict(elb=elb, consumer=consumer, lb=lb, nodes=nodes, tg=tg, target=target, server=server, svc=svc,
                pvpc=pvpc, cvpc=cvpc, client=client, endpoint=e, endpoint_sg=endpoint_sg,
                eni_a="10.71.1.50", eni_b="10.71.2.50", c_a=c_a)


def accept(lab, net):
    e = net["consumer"].describe_vpc_endpoints(VpcEndpointIds=[net["endpoint"]["VpcEndpointId"]])["VpcEndpoints"][0]
    if e["State"] == "pendingAcceptance":
        lab.ec2.accept_vpc_endpoint_connections(ServiceId=net["svc"]["ServiceId"],
                                                VpcEndpointIds=[e["VpcEndpointId"]])


def test_pending_then_accepted(lab, net):
    """AT-03, ST-07: nothing passes while the endpoint waits for acceptance; once accepted, a
    TCP connection to the endpoint's address reaches the NLB's target, which sees the node's
    address (SVC-08), never the consumer's."""
    client = net["client"]["InstanceId"]
    assert net["endpoint"]["State"] == "pendingAcceptance"
    assert not lab.tcp(client, net["eni_a"], 80, timeout=1)
    accept(lab, net)
    since = net["server"].mark()
    for i in range(3):
        assert lab.tcp(client, net["eni_a"], 80, timeout=2, msg=f"through-the-endpoint-{i}")
    peers = [w[1] for w in lines(net["server"], since, "data")]
    assert peers == [net["nodes"]["us-east-1a"]] * 3


def test_endpoint_security_groups_apply(lab, net):
    """IF-08, AT-01(d): the endpoint's groups decide what reaches it: without the port 80 rule
    nothing does; restored, it works (the positive control on the same path)."""
    accept(lab, net)
    consumer, client = net["consumer"], net["client"]["InstanceId"]
    consumer.revoke_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[ENDPOINT_80])
    try:
        assert not lab.tcp(client, net["eni_a"], 80, timeout=1)
    finally:
        consumer.authorize_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[ENDPOINT_80])
    assert lab.tcp(client, net["eni_a"], 80, timeout=2)


def test_tcp_only(lab, net):
    """IF-01: an interface endpoint carries TCP only; UDP to the same port gets nowhere."""
    accept(lab, net)
    net["consumer"].authorize_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[
        {"IpProtocol": "udp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.71.0.0/16"}]}])
    assert lab.tcp(net["client"]["InstanceId"], net["eni_a"], 80, timeout=2)
    assert not lab.udp(net["client"]["InstanceId"], net["eni_a"], 80, timeout=1)
    result = trace(lab, net["client"]["InstanceId"], net["eni_a"] + ":80", "--protocol", "udp")
    endpoint = stages(result, "interface-endpoint")
    assert endpoint and endpoint[0]["allowed"] is False, result


def test_zone_without_targets_needs_cross_zone(lab, net):
    """AT-09, SVC-14: the endpoint's interface in us-east-1b sends to the node of us-east-1b,
    whose zone has no target: nothing passes until cross-zone load balancing is on."""
    accept(lab, net)
    client = net["client"]["InstanceId"]
    assert lab.tcp(client, net["eni_a"], 80, timeout=2)  # the other zone works
    assert not lab.tcp(client, net["eni_b"], 80, timeout=1)
    arn = net["lb"]["LoadBalancerArn"]
    net["elb"].modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "load_balancing.cross_zone.enabled", "Value": "true"}])
    try:
        since = net["server"].mark()
        assert lab.tcp(client, net["eni_b"], 80, timeout=2)
        assert [w[1] for w in lines(net["server"], since, "data")] == [net["nodes"]["us-east-1b"]]
    finally:
        net["elb"].modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "load_balancing.cross_zone.enabled", "Value": "false"}])


def test_proxy_protocol_carries_the_consumer_and_the_endpoint(lab, net):
    """AT-07, SVC-08: with proxy protocol v2 the target learns the consumer's address and port,
    the endpoint's address it connected to, and the endpoint's id (TLV 0xEA, subtype 0x01),
    while the TCP connection itself still comes from the node. 20 KB are echoed whole."""
    accept(lab, net)
    elb, target = net["elb"], net["target"]
    server = lab.serve_proxy_v2(target["InstanceId"], 7001)
    tg = elb.create_target_group(Name="proxy", Protocol="TCP", Port=7001, VpcId=net["pvpc"],
                                 HealthCheckPort="7000")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": target["InstanceId"]}])
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "proxy_protocol_v2.enabled", "Value": "true"}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=8443,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    rule = {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443, "IpRanges": [{"CidrIp": "10.71.0.0/16"}]}
    net["consumer"].authorize_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[rule])
    try:
        since = server.mark()
        assert lab.tcp(net["client"]["InstanceId"], net["eni_a"], 8443, timeout=3, msg="q" * 20000 + "-end")
        got = lines(server, since, "proxy")
        assert len(got) == 1, server.lines[since:]
        _, family, src, sport, dst, dport, vpce, peer = got[0]
        assert family == "0x11" and src == net["client"]["PrivateIpAddress"] and int(sport) > 0
        assert (dst, dport) == (net["eni_a"], "8443")
        assert vpce == net["endpoint"]["VpcEndpointId"]
        assert peer == net["nodes"]["us-east-1a"]
    finally:
        net["consumer"].revoke_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[rule])
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        server.stop()


def test_provider_cannot_initiate(lab, net):
    """AT-23, IF-12: the provider's backend reaches neither the consumer's instance nor the
    endpoint's address; the consumer's connections through the endpoint work (positive control)."""
    accept(lab, net)
    consumer_server = lab.serve(net["client"]["InstanceId"], "tcp", 7002)
    since = consumer_server.mark()
    target = net["target"]["InstanceId"]
    assert not lab.tcp(target, net["client"]["PrivateIpAddress"], 7002, timeout=1)
    assert not lab.tcp(target, net["eni_a"], 80, timeout=1)
    assert lines(consumer_server, since, "data") == []
    assert lab.tcp(net["client"]["InstanceId"], net["eni_a"], 80, timeout=2)
    consumer_server.stop()


def test_dns_names_resolve_to_the_interfaces(lab, net):
    """DNS-05, DNS-07: the Regional name stands for every interface of the endpoint, a zonal name
    for its zone's, at the VPC resolver and at the internet's public DNS alike."""
    accept(lab, net)
    entries = [d["DnsName"] for d in net["endpoint"]["DnsEntries"]]
    regional = entries[0]
    zonal_a = [n for n in entries if "-us-east-1a." in n][0]

    def resolve(name):
        rc, out, _ = lab.sh(net["client"]["InstanceId"], ["dig", "+short", "+time=1", "+tries=2", "@10.71.0.2", name, "A"])
        assert rc == 0, out
        return sorted(out.split())

    assert resolve(regional) == sorted([net["eni_a"], net["eni_b"]])
    assert resolve(zonal_a) == [net["eni_a"]]
    assert resolve(zonal_a.upper()) == [net["eni_a"]]
    # Public DNS: anyone resolves them, also from the internet (to private addresses there).
    rc, out, _ = lab.sh("internet", ["dig", "+short", "+time=1", "+tries=2", "@203.0.113.53", zonal_a, "A"])
    assert rc == 0 and out.split() == [net["eni_a"]], out


def test_trace_through_the_endpoint(lab, net):
    """`openvpc trace` walks the same stages: the endpoint's groups, the endpoint, the load
    balancer's listener and target, the target's groups."""
    accept(lab, net)
    result = trace(lab, net["client"]["InstanceId"], net["eni_a"] + ":80", "--protocol", "tcp")
    assert result["allowed"] is True, result
    endpoint = stages(result, "interface-endpoint")
    assert endpoint and net["svc"]["ServiceId"] in endpoint[0]["rule"], result
    lb = stages(result, "load-balancer")
    assert lb and net["target"]["InstanceId"] in lb[0]["rule"], result


def test_one_load_balancer_per_interface(lab, net):
    """AT-08, SVC-09: with two NLBs of the service in the zone, every connection of an endpoint's
    interface goes to the same one (the second NLB's own target answers on the same port, so a
    choice per connection would show both nodes)."""
    accept(lab, net)
    elb, ec2 = net["elb"], lab.ec2
    subnets = [z["SubnetId"] for z in net["lb"]["AvailabilityZones"]]
    lb2 = elb.create_load_balancer(Name="svc2", Type="network", Scheme="internal", Subnets=subnets)["LoadBalancers"][0]
    tg2 = elb.create_target_group(Name="svc2", Protocol="TCP", Port=7000, VpcId=net["pvpc"],
                                  TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg2, Targets=[{"Id": net["target"]["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=lb2["LoadBalancerArn"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg2}])
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=net["svc"]["ServiceId"],
                                                  AddNetworkLoadBalancerArns=[lb2["LoadBalancerArn"]])
    nodes = {net["nodes"]["us-east-1a"],
             [z for z in lb2["AvailabilityZones"] if z["ZoneName"] == "us-east-1a"][0]["LoadBalancerAddresses"][0][
                 "PrivateIPv4Address"]}
    since = net["server"].mark()
    for i in range(8):
        assert lab.tcp(net["client"]["InstanceId"], net["eni_a"], 80, timeout=2, msg=f"sticky-{i}")
    peers = [w[1] for w in lines(net["server"], since, "data")]
    assert len(peers) == 8 and len(set(peers)) == 1 and peers[0] in nodes, peers


def test_overlapping_address_ranges(lab, net):
    """SVC-08: the provider never sees the consumer's addresses, so a consumer VPC with the
    provider's own range (10.70.0.0/16, the same address as the target even) reaches the service."""
    accept(lab, net)
    consumer = net["consumer"]
    vpc = lab.vpc("10.70.0.0/16", client=consumer)
    subnet = lab.subnet(vpc, "10.70.1.0/24", client=consumer, az="us-east-1a")
    sg = lab.group(vpc, "endpoint", ingress=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                               "IpRanges": [{"CidrIp": "10.70.0.0/16"}]}], client=consumer)
    client = lab.launch(subnet, client=consumer,
                        PrivateIpAddress=net["target"]["PrivateIpAddress"])  # the target's own address
    e = consumer.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=vpc, ServiceName=net["svc"]["ServiceName"],
                                     SecurityGroupIds=[sg],
                                     SubnetConfigurations=[{"SubnetId": subnet, "Ipv4": "10.70.1.60"}])["VpcEndpoint"]
    lab.ec2.accept_vpc_endpoint_connections(ServiceId=net["svc"]["ServiceId"], VpcEndpointIds=[e["VpcEndpointId"]])
    since = net["server"].mark()
    assert lab.tcp(client["InstanceId"], "10.70.1.60", 80, timeout=2, msg="same-range")
    peers = [w[1] for w in lines(net["server"], since, "data")]
    assert len(peers) == 1 and peers[0] != client["PrivateIpAddress"], peers


def test_private_dns_name_in_the_consumer_vpc(lab, net):
    """AT-17 with traffic: the provider publishes its TXT record in a public hosted zone (Route
    53), which the internet's DNS answers; verified, the consumer's endpoint with private DNS makes
    svc.example.com its interfaces inside the consumer's VPC, and a connection by that address
    reaches the service; the provider's own VPC gets the public answer (no such name: PDN-12)."""
    import boto3
    accept(lab, net)
    ec2, consumer = lab.ec2, net["consumer"]
    svc_id = net["svc"]["ServiceId"]
    r53 = boto3.client("route53", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc_id, PrivateDnsName="svc.example.com")
    txt = ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc_id])["ServiceConfigurations"][0][
        "PrivateDnsNameConfiguration"]
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="at17")["HostedZone"]["Id"]
    record = {"Name": f"{txt['Name']}.example.com", "Type": "TXT", "TTL": 1800,
              "ResourceRecords": [{"Value": f'"{txt["Value"]}"'}]}
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE",
                                                                                "ResourceRecordSet": record}]})
    e = net["endpoint"]["VpcEndpointId"]
    try:
        # The internet's DNS answers the record as published.
        rc, out, _ = lab.sh("internet", ["dig", "+short", "+time=1", "+tries=2", "@203.0.113.53",
                                         f"{txt['Name']}.example.com", "TXT"])
        assert rc == 0 and out.strip() == f'"{txt["Value"]}"', out
        ec2.start_vpc_endpoint_service_private_dns_verification(ServiceId=svc_id)
        consumer.modify_vpc_attribute(VpcId=net["cvpc"], EnableDnsHostnames={"Value": True})
        consumer.modify_vpc_endpoint(VpcEndpointId=e, PrivateDnsEnabled=True)
        client = net["client"]["InstanceId"]
        rc, out, _ = lab.sh(client, ["dig", "+short", "+time=1", "+tries=2", "@10.71.0.2", "svc.example.com", "A"])
        assert rc == 0 and sorted(out.split()) == sorted([net["eni_a"], net["eni_b"]]), out
        # Zone a's interface (zone b's NLB node has no target there: SVC-14).
        assert lab.tcp(client, net["eni_a"], 80, timeout=2)
        # The provider's VPC asks the public zone, which has no such name.
        rc, out, _ = lab.sh(net["target"]["InstanceId"], ["dig", "+time=1", "+tries=2", "@10.70.0.2",
                                                          "svc.example.com", "A"])
        assert rc == 0 and "NXDOMAIN" in out, out
    finally:
        consumer.modify_vpc_endpoint(VpcEndpointId=e, PrivateDnsEnabled=False)
        ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc_id, RemovePrivateDnsName=True)
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "DELETE",
                                                                                    "ResourceRecordSet": record}]})
        r53.delete_hosted_zone(Id=zone)


# A TCP SYN of SIZE bytes (IP header included), with data, from the instance to DST:PORT over a raw
# socket; prints "synack" when the SYN-ACK comes back, "icmp" when an ICMP Fragmentation Needed
# does, "nothing" after 1.5 s.
RAW_SYN = r"""
import os, random, select, socket, struct, sys, time
dst, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
probe.connect((dst, port))
src = probe.getsockname()[0]
sport = random.randint(20000, 60000)
payload = os.urandom(size - 40)
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
hdr = struct.pack("!HHIIBBHHH", sport, port, 1000, 0, 5 << 4, 0x02, 65535, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr) + len(payload))
hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr + payload)) + hdr[18:]
tcp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
tcp.sendto(hdr + payload, (dst, 0))
end = time.time() + 1.5
while time.time() < end:
    ready, _, _ = select.select([tcp, icmp], [], [], max(0, end - time.time()))
    for r in ready:
        data, addr = r.recvfrom(65535)
        ihl = (data[0] & 15) * 4
        if r is icmp and data[ihl] == 3 and data[ihl + 1] == 4:
            print("icmp"); sys.exit(0)
        if r is tcp and addr[0] == dst:
            sp, dp = struct.unpack("!HH", data[ihl:ihl + 4])
            if sp == port and dp == sport and data[ihl + 13] & 0x12 == 0x12:
                print("synack"); sys.exit(0)
print("nothing")
"""

# The MSS a new connection from the instance to DST:PORT settles on (TCP_MAXSEG).
MSS_OF = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG))
"""


def test_endpoint_mtu_and_mss(lab, net):
    """AT-20, Q-07 … Q-09: through an interface endpoint a packet of 8,500 bytes passes and one of
    8,501 is dropped, with no ICMP Fragmentation Needed; a connection's MSS is clamped to fit
    8,500 bytes, where a connection inside the VPC keeps the instances' (MTU 9,001)."""
    accept(lab, net)
    client = net["client"]["InstanceId"]

    def syn(size):
        rc, out, err = lab.sh(client, [GUEST_PYTHON, "-c", RAW_SYN, net["eni_a"], "80", str(size)], timeout=10)
        assert rc == 0, err
        return out.strip()

    assert syn(8500) == "synack"
    assert syn(8501) == "nothing"  # dropped, and no ICMP 3/4 (no PMTUD)
    assert syn(1000) == "synack"   # the positive control after the drop
    rc, out, err = lab.sh(client, [GUEST_PYTHON, "-c", MSS_OF, net["eni_a"], "80"], timeout=10)
    assert rc == 0, err
    assert int(out) <= 8460, out  # 8,500 less the IPv4 and TCP headers, less TCP options
    # Inside the consumer's VPC, instance to instance: the instances' own MTU decides.
    peer = lab.launch(net["c_a"], client=net["consumer"])["InstanceId"]
    lab.serve(peer, "tcp", 7100)
    peer_ip = net["consumer"].describe_instances(InstanceIds=[peer])["Reservations"][0]["Instances"][0][
        "PrivateIpAddress"]
    rc, out, err = lab.sh(client, [GUEST_PYTHON, "-c", MSS_OF, peer_ip, "7100"], timeout=10)
    assert rc == 0, err
    assert int(out) > 8500, out


def test_reject_stops_traffic(lab, net):
    """AT-05, ACC-04: rejected while available, the endpoint carries nothing more."""
    accept(lab, net)
    client = net["client"]["InstanceId"]
    assert lab.tcp(client, net["eni_a"], 80, timeout=2)
    lab.ec2.reject_vpc_endpoint_connections(ServiceId=net["svc"]["ServiceId"],
                                            VpcEndpointIds=[net["endpoint"]["VpcEndpointId"]])
    assert not lab.tcp(client, net["eni_a"], 80, timeout=1)
