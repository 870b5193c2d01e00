"""Network Load Balancers with real traffic (issue 13): TCP and UDP listeners spread over
instance and ip targets in two zones, the client's address preserved (instance targets) or
the node's seen (ip targets), cross-zone load balancing off (a node sends to its own zone's
targets) and on, the targets' security groups applied, and `openvpc trace` through the load
balancer. Behaviour is Elastic Load Balancing's documented NLB behaviour.
"""
import pytest

from dplib import lines, stages, trace

VPC_TCP_UDP = [{"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7001, "IpRanges": [{"CidrIp": "10.60.0.0/16"}]},
               {"IpProtocol": "udp", "FromPort": 7000, "ToPort": 7001, "IpRanges": [{"CidrIp": "10.60.0.0/16"}]}]


@pytest.fixture(scope="module")
def net(lab):
    import boto3
    ec2 = lab.ec2
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    vpc = lab.vpc("10.60.0.0/16")
    sub_a = lab.subnet(vpc, "10.60.1.0/24", az="us-east-1a")
    sub_b = lab.subnet(vpc, "10.60.2.0/24", az="us-east-1b")
    targets_sg = lab.group(vpc, "nlb-targets", ingress=VPC_TCP_UDP)
    client = lab.launch(sub_a)
    t1 = lab.launch(sub_a, SecurityGroupIds=[targets_sg])
    t2 = lab.launch(sub_b, SecurityGroupIds=[targets_sg])
    servers = {}
    for t in (t1, t2):
        servers[t["InstanceId"]] = (lab.serve(t["InstanceId"], "tcp", 7000), lab.serve(t["InstanceId"], "udp", 7001))
    lb = elb.create_load_balancer(Name="nlb", Type="network", Scheme="internal",
                                  Subnets=[sub_a, sub_b])["LoadBalancers"][0]
    nodes = {z["ZoneName"]: z["LoadBalancerAddresses"][0]["PrivateIPv4Address"] for z in lb["AvailabilityZones"]}
    tcp_tg = elb.create_target_group(Name="tcp", Protocol="TCP", Port=7000, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    udp_tg = elb.create_target_group(Name="udp", Protocol="UDP", Port=7001, VpcId=vpc)["TargetGroups"][0]["TargetGroupArn"]
    for tg in (tcp_tg, udp_tg):
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": t1["InstanceId"]}, {"Id": t2["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tcp_tg}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="UDP", Port=53,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": udp_tg}])
    return dict(elb=elb, vpc=vpc, sub_a=sub_a, sub_b=sub_b, client=client, t1=t1, t2=t2, servers=servers, lb=lb,
                nodes=nodes, tcp_tg=tcp_tg, udp_tg=udp_tg, targets_sg=targets_sg)


def connections_seen(net, since, word="conn"):
    """{instance id: [peer address, ...]} of the TCP (conn) or UDP (recv) servers since the marks."""
    index = 0 if word == "conn" else 1
    return {iid: [w[1] for w in lines(bgs[index], since[iid][index], word)] for iid, bgs in net["servers"].items()}


def marks(net):
    return {iid: (bgs[0].mark(), bgs[1].mark()) for iid, bgs in net["servers"].items()}


def test_tcp_through_nlb_keeps_the_client_address_and_the_zone(lab, net):
    """Instance targets see the client's own address (preserve_client_ip defaults to true for
    them); with cross-zone load balancing off (the NLB default) the node of us-east-1a sends
    only to the target of us-east-1a."""
    client = net["client"]["InstanceId"]
    since = marks(net)
    for i in range(6):
        assert lab.tcp(client, net["nodes"]["us-east-1a"], 80, timeout=2, msg=f"hello{i}")
    seen = connections_seen(net, since)
    assert seen[net["t1"]["InstanceId"]] == [net["client"]["PrivateIpAddress"]] * 6
    assert seen[net["t2"]["InstanceId"]] == []
    # The other node sends to the other zone's target.
    since = marks(net)
    assert lab.tcp(client, net["nodes"]["us-east-1b"], 80, timeout=2)
    seen = connections_seen(net, since)
    assert seen[net["t2"]["InstanceId"]] == [net["client"]["PrivateIpAddress"]]


def test_udp_listener(lab, net):
    since = marks(net)
    assert lab.udp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 53, timeout=2, msg="dns-ish")
    seen = connections_seen(net, since, word="recv")
    assert seen[net["t1"]["InstanceId"]] == [net["client"]["PrivateIpAddress"]]


def test_no_listener_no_connection(lab, net):
    """Positive control: port 80 works (above); port 81 has no listener."""
    assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 80, timeout=2)
    assert not lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 81, timeout=1)


def test_cross_zone_spreads_over_both_zones(lab, net):
    elb = net["elb"]
    elb.modify_load_balancer_attributes(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Attributes=[
        {"Key": "load_balancing.cross_zone.enabled", "Value": "true"}])
    try:
        since = marks(net)
        for i in range(24):
            assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 80, timeout=2, msg=f"x{i}")
        seen = connections_seen(net, since)
        counts = sorted(len(v) for v in seen.values())
        assert sum(counts) == 24 and counts[0] >= 3, seen  # both targets get flows
    finally:
        elb.modify_load_balancer_attributes(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Attributes=[
            {"Key": "load_balancing.cross_zone.enabled", "Value": "false"}])


def test_targets_security_groups_apply(lab, net):
    """The targets' groups decide what reaches them: with the rule gone, nothing does; restored, it works."""
    ec2 = lab.ec2
    rule = VPC_TCP_UDP[0]
    ec2.revoke_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[rule])
    try:
        assert not lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 80, timeout=1)
    finally:
        ec2.authorize_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[rule])
    assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 80, timeout=2)


def test_ip_targets_see_the_node_address(lab, net):
    """ip targets: preserve_client_ip is off by default, so the target sees the node's address."""
    elb = net["elb"]
    tg = elb.create_target_group(Name="ip", Protocol="TCP", Port=7000, VpcId=net["vpc"],
                                 TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": net["t1"]["PrivateIpAddress"]}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=8080,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    try:
        since = marks(net)
        assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 8080, timeout=2)
        assert connections_seen(net, since)[net["t1"]["InstanceId"]] == [net["nodes"]["us-east-1a"]]
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "preserve_client_ip.enabled", "Value": "true"}])
        since = marks(net)
        assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 8080, timeout=2)
        assert connections_seen(net, since)[net["t1"]["InstanceId"]] == [net["client"]["PrivateIpAddress"]]
    finally:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])


def test_trace_through_the_load_balancer(lab, net):
    result = trace(lab, net["client"]["InstanceId"], net["nodes"]["us-east-1a"] + ":80", "--protocol", "tcp")
    assert result["allowed"], result
    lb_stage = stages(result, "load-balancer")[0]
    assert lb_stage["component"] == net["lb"]["LoadBalancerArn"]
    assert net["t1"]["InstanceId"] in lb_stage["rule"]
    dropped = trace(lab, net["client"]["InstanceId"], net["nodes"]["us-east-1a"] + ":81", "--protocol", "tcp")
    assert not dropped["allowed"]
    assert stages(dropped, "load-balancer")[0]["explanation_code"] == "NO_LISTENER"
