"""PrivateLink over IPv6 with real traffic (issue 14, AT-18): a consumer's IPv6 client reaches a
provider's IPv4 target through an interface endpoint of a service of a dualstack Network Load
Balancer. The rules are shared/spec/inventory-privatelink.md's:
- SVC-12, IP-03: an IPv6 service needs dualstack load balancers; "targets need no IPv6" (the load
  balancer translates), and SVC-08: the target sees the node's address, never the consumer's;
- AT-07, SVC-08: with proxy protocol v2 the header carries the consumer's IPv6 address (AF_INET6)
  and the endpoint's id;
- IP-02, DNS-13: a dualstack endpoint's interfaces have both families, and its names answer A and
  AAAA; an ipv6 endpoint in an IPv6-only subnet answers AAAA only;
- SG-04, AT-18: the endpoint's interface denies all traffic from the internet gateway: the internet
  does not reach its IPv6 address, while it reaches the consumer instance's own on the same path.
The module is skipped where `dhclient` (the instances' DHCPv6 client) is missing.
"""

import pytest

from dplib import amazon_64s, canon, lines, missing_prerequisite, stages, trace

_MISSING = missing_prerequisite(tools=("dhclient",))
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")


@pytest.fixture(scope="module")
def net(lab):
    import boto3
    ec2, consumer = lab.ec2, lab.ec2_other
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    # The provider: a dualstack NLB in front of an IPv4-only target (SVC-12: targets need no IPv6).
    pvpc = ec2.create_vpc(CidrBlock="10.72.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    p64 = amazon_64s(ec2, pvpc)
    p_a = ec2.create_subnet(VpcId=pvpc, CidrBlock="10.72.1.0/24", Ipv6CidrBlock=str(p64[1]),
                            AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    target_sg = lab.group(pvpc, "service6", ingress=[
        {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7001, "IpRanges": [{"CidrIp": "10.72.0.0/16"}]}])
    target = lab.launch(p_a, SecurityGroupIds=[target_sg])
    server = lab.serve(target["InstanceId"], "tcp", 7000)
    lb = elb.create_load_balancer(Name="svc6", Type="network", Scheme="internal", IpAddressType="dualstack",
                                  Subnets=[p_a])["LoadBalancers"][0]
    node4 = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
    tg = elb.create_target_group(Name="svc6", Protocol="TCP", Port=7000, VpcId=pvpc)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": target["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    svc = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[lb["LoadBalancerArn"]],
                                                        AcceptanceRequired=False,
                                                        SupportedIpAddressTypes=["ipv4", "ipv6"])["ServiceConfiguration"]
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"], AddAllowedPrincipals=["*"])
    # The consumer: a dual-stack subnet with a client and a dualstack endpoint, an IPv6-only subnet
    # with an ipv6 endpoint; an internet gateway for IPv6.
    cvpc = consumer.create_vpc(CidrBlock="10.73.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    c64 = amazon_64s(consumer, cvpc)
    c_a = consumer.create_subnet(VpcId=cvpc, CidrBlock="10.73.1.0/24", Ipv6CidrBlock=str(c64[1]),
                                 AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    c_6 = consumer.create_subnet(VpcId=cvpc, Ipv6Native=True, Ipv6CidrBlock=str(c64[2]),
                                 AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = consumer.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    consumer.attach_internet_gateway(InternetGatewayId=igw, VpcId=cvpc)
    rtb = consumer.create_route_table(VpcId=cvpc)["RouteTable"]["RouteTableId"]
    consumer.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    for sub in (c_a, c_6):
        consumer.associate_route_table(RouteTableId=rtb, SubnetId=sub)
    everything6 = [{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
                   {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.73.0.0/16"}]}]
    open_sg = lab.group(cvpc, "open6", ingress=everything6, client=consumer)
    client = lab.launch(c_a, client=consumer, SecurityGroupIds=[open_sg], Ipv6AddressCount=1, wait=False)
    lab.wait_address(client["InstanceId"], client["PrivateIpAddress"])
    client6 = lab.wait_ipv6(client)
    lab.serve(client["InstanceId"], "tcp", 8080)  # the positive control of the internet's way in
    dual = consumer.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=cvpc, ServiceName=svc["ServiceName"],
                                        SubnetIds=[c_a], SecurityGroupIds=[open_sg],
                                        IpAddressType="dualstack")["VpcEndpoint"]
    only6 = consumer.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=cvpc, ServiceName=svc["ServiceName"],
                                         SubnetIds=[c_6], SecurityGroupIds=[open_sg],
                                         IpAddressType="ipv6")["VpcEndpoint"]

    def eni(e):
        return consumer.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])[
            "NetworkInterfaces"][0]
    dual_eni, only6_eni = eni(dual), eni(only6)
    return dict(elb=elb, consumer=consumer, lb=lb, node4=node4, target=target, server=server, svc=svc, pvpc=pvpc,
                client=client["InstanceId"], client6=client6, dual=dual, only6=only6,
                dual4=dual_eni["PrivateIpAddress"], dual6=canon(dual_eni["Ipv6Addresses"][0]["Ipv6Address"]),
                only6_6=canon(only6_eni["Ipv6Addresses"][0]["Ipv6Address"]), target_sg=target_sg)


def test_ipv6_client_reaches_the_ipv4_target_through_the_endpoint(lab, net):
    """SVC-12, SVC-08: over IPv6 to the dualstack endpoint's IPv6 address (and to the ipv6
    endpoint's in the IPv6-only subnet), the IPv4 target gets the connection from the node's IPv4
    address; the stream is whole both ways; IPv4 still works beside it (IP-04)."""
    for address in (net["dual6"], net["only6_6"]):
        since = net["server"].mark()
        assert lab.tcp(net["client"], address, 80, timeout=3, msg="s" * 30000 + "-end"), address
        assert [w[1] for w in lines(net["server"], since, "data")] == [net["node4"]]
    since = net["server"].mark()
    assert lab.tcp(net["client"], net["dual4"], 80, timeout=2)
    assert [w[1] for w in lines(net["server"], since, "data")] == [net["node4"]]


def test_dns_records_follow_the_record_ip_type(lab, net):
    """DNS-13: the dualstack endpoint's Regional name answers A and AAAA; the ipv6 endpoint's AAAA
    only (no A record: its interface has no IPv4 address)."""
    def dig(name, qtype):
        rc, out, _ = lab.sh(net["client"], ["dig", "+short", "+time=1", "+tries=2", name, qtype], timeout=10)
        assert rc == 0, out
        return [canon(a) for a in out.split()]
    dual_name = net["dual"]["DnsEntries"][0]["DnsName"]
    only6_name = net["only6"]["DnsEntries"][0]["DnsName"]
    assert dig(dual_name, "A") == [net["dual4"]]
    assert dig(dual_name, "AAAA") == [net["dual6"]]
    assert dig(only6_name, "AAAA") == [net["only6_6"]]
    assert dig(only6_name, "A") == []


def test_proxy_protocol_carries_the_consumer_ipv6_address_and_the_endpoint(lab, net):
    """AT-07, SVC-08: the IPv4 target gets AF_INET6 with the consumer client's IPv6 address, the
    endpoint's IPv6 address and port, and the vpce- id; the TCP connection comes from the node."""
    elb = net["elb"]
    server = lab.serve_proxy_v2(net["target"]["InstanceId"], 7001)
    tg = elb.create_target_group(Name="proxy6", Protocol="TCP", Port=7001, VpcId=net["pvpc"],
                                 HealthCheckPort="7000")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": net["target"]["InstanceId"]}])
    elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
        {"Key": "proxy_protocol_v2.enabled", "Value": "true"}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=8443,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    try:
        since = server.mark()
        assert lab.tcp(net["client"], net["dual6"], 8443, timeout=3, msg="w" * 20000 + "-end")
        got = lines(server, since, "proxy")
        assert len(got) == 1, server.lines[since:]
        _, family, src, _, dst, dport, vpce, peer = got[0]
        assert family == "0x21" and canon(src) == net["client6"]
        assert (canon(dst), dport) == (net["dual6"], "8443")
        assert vpce == net["dual"]["VpcEndpointId"]
        assert peer == net["node4"]
    finally:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        server.stop()


def test_the_internet_does_not_reach_the_endpoint_ipv6_address(lab, net):
    """AT-18, SG-04: DenyAllIgwTraffic on the endpoint's interface: from 3fff::10 through the
    internet gateway nothing reaches its IPv6 address, while the consumer instance's own address in
    the same subnet, behind the same gateway and the same open group, is reached."""
    eni = net["consumer"].describe_network_interfaces(NetworkInterfaceIds=net["dual"]["NetworkInterfaceIds"])[
        "NetworkInterfaces"][0]
    assert eni["DenyAllIgwTraffic"] is True
    assert lab.tcp("internet", net["client6"], 8080, timeout=2)  # the positive control
    assert not lab.tcp("internet", net["dual6"], 80, timeout=1)
    result = trace(lab, "internet", f"[{net['dual6']}]:80", "--protocol", "tcp")
    assert not result["allowed"], result
    assert "DenyAllIgwTraffic" in stages(result, "internet-gateway")[0].get("note", ""), result


def test_trace_through_the_endpoint_over_ipv6(lab, net):
    result = trace(lab, net["client"], f"[{net['dual6']}]:80", "--protocol", "tcp")
    assert result["allowed"], result
    assert stages(result, "interface-endpoint")[0]["allowed"]
    assert result["translated_source"] == net["node4"]
