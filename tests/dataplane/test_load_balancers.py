"""Network Load Balancers with real traffic (issue 13): TCP and UDP listeners spread over
instance and ip targets in two zones, the client's address preserved (instance targets) or
the node's seen (ip targets), cross-zone load balancing off (a node sends to its own zone's
targets) and on, the targets' security groups applied, and `openvpc trace` through the load
balancer. Behaviour is Elastic Load Balancing's documented NLB behaviour.
"""
import time

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


def connections_seen(net, since, word="data"):
    """{instance id: [peer address, ...]} of the TCP connections that carried data (data; the
    health checks carry none) or the UDP datagrams (recv) the servers saw since the marks."""
    index = 0 if word == "data" else 1
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


def target_health(net, tg):
    return {h["Target"]["Id"]: h["TargetHealth"] for h in
            net["elb"].describe_target_health(TargetGroupArn=tg)["TargetHealthDescriptions"]}


def fast_checks(net, tg, **kw):
    """Checks every 5 s (AWS's least interval), 2 in a row to change state."""
    net["elb"].modify_target_group(TargetGroupArn=tg, HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2,
                                   HealthyThresholdCount=2, UnhealthyThresholdCount=2, **kw)


def checked_by_path(net, instance_id, protocol, name, first_port, timeout):
    """Two target groups whose PROTOCOL checks of INSTANCE_ID's port 7001 GET / and /missing, each
    used by a listener (FIRST_PORT, FIRST_PORT + 1); returns them once / is healthy and /missing
    unhealthy (within 25 s), and the listeners, which the caller deletes."""
    elb = net["elb"]
    groups = {}
    for path in ("/", "/missing"):
        groups[path] = elb.create_target_group(
            Name=name + str(len(groups)), Protocol="TCP", Port=7000, VpcId=net["vpc"], HealthCheckProtocol=protocol,
            HealthCheckPort="7001", HealthCheckPath=path, HealthCheckIntervalSeconds=5,
            HealthCheckTimeoutSeconds=timeout, HealthyThresholdCount=2,
            UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=groups[path], Targets=[{"Id": instance_id}])
    listeners = [elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=first_port + i,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
                 for i, tg in enumerate(groups.values())]
    deadline = time.time() + 25
    while (target_health(net, groups["/"])[instance_id]["State"] != "healthy" or
           target_health(net, groups["/missing"])[instance_id]["State"] != "unhealthy"):
        if time.time() > deadline:
            for listener in listeners:
                elb.delete_listener(ListenerArn=listener["ListenerArn"])
            raise AssertionError((target_health(net, groups["/"]), target_health(net, groups["/missing"])))
        time.sleep(0.5)
    return groups, listeners


def test_health_checks_make_targets_healthy(lab, net):
    """Real TCP checks from the nodes: both targets answer, so both become healthy (the
    target_in_service waiter succeeds), after passing through the initial state."""
    fast_checks(net, net["tcp_tg"])
    net["elb"].get_waiter("target_in_service").wait(TargetGroupArn=net["tcp_tg"],
                                                    WaiterConfig={"Delay": 1, "MaxAttempts": 40})
    assert {h["State"] for h in target_health(net, net["tcp_tg"]).values()} == {"healthy"}


def test_stopped_target_becomes_unhealthy_and_gets_no_new_flows(lab, net):
    """A target whose server stops fails its checks (refused: Target.FailedHealthChecks) and is
    unhealthy within interval x threshold; the node of its zone sends new connections to the
    healthy target of the other zone; back up, it is healthy again and gets them back."""
    fast_checks(net, net["tcp_tg"])
    elb = net["elb"]
    elb.get_waiter("target_in_service").wait(TargetGroupArn=net["tcp_tg"], WaiterConfig={"Delay": 1, "MaxAttempts": 40})
    t1, t2 = net["t1"]["InstanceId"], net["t2"]["InstanceId"]
    tcp_server, udp_server = net["servers"][t1]
    tcp_server.stop()
    try:
        deadline = time.time() + 20
        while target_health(net, net["tcp_tg"])[t1]["State"] != "unhealthy":
            assert time.time() < deadline, target_health(net, net["tcp_tg"])
            time.sleep(0.5)
        assert target_health(net, net["tcp_tg"])[t1]["Reason"] == "Target.FailedHealthChecks"
        since = marks(net)
        for i in range(4):
            assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 80, timeout=2, msg=f"u{i}")
        seen = connections_seen(net, since)
        assert len(seen[t2]) == 4, seen
    finally:
        net["servers"][t1] = (lab.serve(t1, "tcp", 7000), udp_server)
    elb.get_waiter("target_in_service").wait(TargetGroupArn=net["tcp_tg"], WaiterConfig={"Delay": 1, "MaxAttempts": 40})
    since = marks(net)
    assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 80, timeout=2)
    assert connections_seen(net, since)[t1] == [net["client"]["PrivateIpAddress"]]


def test_health_checks_need_the_targets_security_groups(lab, net):
    """The checks cross the targets' groups like any traffic: a target group checked on a port
    the groups do not open (7002) never becomes healthy (Target.Timeout), one checked on 7000 does."""
    elb = net["elb"]
    blocked = elb.create_target_group(Name="blocked", Protocol="TCP", Port=7000, VpcId=net["vpc"], HealthCheckPort="7002",
                                      HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                      UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=blocked, Targets=[{"Id": net["t1"]["InstanceId"]}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=9000,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": blocked}])["Listeners"][0]
    try:
        deadline = time.time() + 20
        while target_health(net, blocked)[net["t1"]["InstanceId"]]["State"] != "unhealthy":
            assert time.time() < deadline, (target_health(net, blocked), lab.server.log_text()[-3000:])
            time.sleep(0.5)
        assert target_health(net, blocked)[net["t1"]["InstanceId"]]["Reason"] == "Target.Timeout"
    finally:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])


def test_http_health_checks_use_the_matcher(lab, net):
    """HTTP checks GET the path and compare the code with the matcher (200-399 by default): a
    real HTTP server in the target answers 200 for / (healthy) and 404 for /missing
    (unhealthy, Target.ResponseCodeMismatch)."""
    from dplib import GUEST_PYTHON, Background
    t2 = net["t2"]["InstanceId"]
    server = Background(lab.server, t2, [GUEST_PYTHON, "-m", "http.server", "7001", "--bind", "0.0.0.0"])
    lab.background.append(server)
    try:
        groups, listeners = checked_by_path(net, t2, "HTTP", "http", 9001, timeout=2)
        assert target_health(net, groups["/missing"])[t2]["Reason"] == "Target.ResponseCodeMismatch"
        for listener in listeners:
            net["elb"].delete_listener(ListenerArn=listener["ListenerArn"])
    finally:
        server.stop()


def test_dns_name_resolves_to_the_nodes_of_healthy_zones(lab, net):
    """The load balancer's name is public DNS: the VPC resolver answers it with the internal
    nodes' private addresses, only the zones with a healthy target once any is healthy."""
    fast_checks(net, net["tcp_tg"])
    net["elb"].get_waiter("target_in_service").wait(TargetGroupArn=net["tcp_tg"],
                                                    WaiterConfig={"Delay": 1, "MaxAttempts": 40})
    # The UDP group's checks (TCP on 7001, where nothing listens) fail: its targets stay unhealthy,
    # and the TCP group's healthy targets keep both zones in DNS.
    name = net["lb"]["DNSName"]
    rc, out, _ = lab.sh(net["client"]["InstanceId"], ["dig", "+short", "+time=1", "+tries=2", "@10.60.0.2", name, "A"])
    assert rc == 0 and sorted(out.split()) == sorted(net["nodes"].values()), out
    rc, out, _ = lab.sh(net["client"]["InstanceId"], ["dig", "+short", "+time=1", "+tries=2", "@10.60.0.2",
                                                     name.upper(), "A"])
    assert sorted(out.split()) == sorted(net["nodes"].values()), out


def test_internet_facing_nlb_from_the_internet(lab, net):
    """An internet-facing NLB is reached from the internet at its node's public address; the
    target sees the internet client's address (preserved), so its groups must admit the
    internet: first they do not (nothing passes), then they do."""
    from dplib import GUEST_PYTHON  # noqa: F401  (the probe runs in the internet namespace too)
    ec2, elb = lab.ec2, net["elb"]
    igw = lab.internet_gateway(net["vpc"])
    lab.route_table(net["vpc"], net["sub_a"], {"0.0.0.0/0": igw})
    public = elb.create_load_balancer(Name="public", Type="network", Subnets=[net["sub_a"]])["LoadBalancers"][0]
    address = public["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["IpAddress"]
    assert address.startswith("198.51.100.")
    tg = elb.create_target_group(Name="public", Protocol="TCP", Port=7000, VpcId=net["vpc"], HealthCheckIntervalSeconds=5,
                                 HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                                 UnhealthyThresholdCount=2)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": net["t1"]["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=public["LoadBalancerArn"], Protocol="TCP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
    # Its name is public DNS: the internet's resolver answers it with the node's public address.
    rc, out, _ = lab.sh("internet", ["dig", "+short", "+time=1", "+tries=2", "@203.0.113.53", public["DNSName"], "A"])
    assert rc == 0 and out.split() == [address], out
    assert not lab.tcp("internet", address, 80, timeout=1)  # the targets' groups admit the VPC only
    internet_rule = {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7000, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}
    ec2.authorize_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[internet_rule])
    try:
        since = marks(net)
        assert lab.tcp("internet", address, 80, timeout=2, msg="from-afar")
        assert connections_seen(net, since)[net["t1"]["InstanceId"]] == ["203.0.113.10"]
        # trace follows the same way: the internet gateway, the node, the listener and the target.
        result = trace(lab, "internet", address + ":80", "--protocol", "tcp")
        assert result["allowed"], result
        assert stages(result, "load-balancer")[0]["component"] == public["LoadBalancerArn"]
    finally:
        ec2.revoke_security_group_ingress(GroupId=net["targets_sg"], IpPermissions=[internet_rule])


def test_proxy_protocol_v2(lab, net):
    """With proxy_protocol_v2.enabled the target gets AWS's header before the client's bytes: the
    client's address and port and the node's address and listener port, while the TCP source is
    the node (an ip target that does not preserve the client's address). The stream stays whole
    both ways (30 KB echoed: the header's bytes shift every sequence number after it)."""
    elb = net["elb"]
    t1 = net["t1"]
    server = lab.serve_proxy_v2(t1["InstanceId"], 7001)
    tg = elb.create_target_group(Name="proxy", Protocol="TCP", Port=7001, VpcId=net["vpc"], TargetType="ip",
                                 HealthCheckPort="7000")["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": t1["PrivateIpAddress"]}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP", Port=8443,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    node = net["nodes"]["us-east-1a"]
    try:
        since = server.mark()
        assert lab.tcp(net["client"]["InstanceId"], node, 8443, timeout=2, msg="plain")  # no header: echoed as is
        assert lines(server, since, "noproxy") and not lines(server, since, "proxy")
        elb.modify_target_group_attributes(TargetGroupArn=tg, Attributes=[
            {"Key": "proxy_protocol_v2.enabled", "Value": "true"}])
        since = server.mark()
        big = "p" * 30000 + "-end"
        assert lab.tcp(net["client"]["InstanceId"], node, 8443, timeout=3, msg=big)
        got = lines(server, since, "proxy")
        assert len(got) == 1, server.lines[since:]
        _, family, src, sport, dst, dport, vpce, peer = got[0]
        assert family == "0x11" and vpce == "-"
        assert src == net["client"]["PrivateIpAddress"] and int(sport) > 0
        assert (dst, dport) == (node, "8443")
        assert peer == node  # the TCP connection itself comes from the node
    finally:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        server.stop()


HTTPS_SERVER = r'''
import http.server, ssl, sys
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/" else 404)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        print("get", self.client_address[0], self.path, flush=True)
srv = http.server.HTTPServer(("0.0.0.0", 7001), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("ready", flush=True)
srv.serve_forever()
'''


def test_https_health_checks(lab, net, tmp_path):
    """HTTPS checks: a TLS handshake (the certificate is not verified), then the GET: a target
    serving HTTPS with a self-signed certificate is healthy for / and unhealthy for /missing."""
    import subprocess
    from dplib import GUEST_PYTHON, Background
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=target"], check=True, capture_output=True)
    t2 = net["t2"]["InstanceId"]
    server = Background(lab.server, t2, [GUEST_PYTHON, "-c", HTTPS_SERVER, cert, key], ready="ready")
    lab.background.append(server)
    try:
        groups, listeners = checked_by_path(net, t2, "HTTPS", "https", 9101, timeout=3)
        assert target_health(net, groups["/missing"])[t2]["Reason"] == "Target.ResponseCodeMismatch"
        assert any(line.startswith("get " + net["nodes"]["us-east-1b"]) for line in server.lines), server.lines[-5:]
        for listener in listeners:
            net["elb"].delete_listener(ListenerArn=listener["ListenerArn"])
    finally:
        server.stop()


def test_deregistration_drains(lab, net):
    """A deregistered target drains for the group's deregistration delay: its open connection goes
    on, new connections go to another target; registered again, it is checked afresh."""
    elb, tg = net["elb"], net["tcp_tg"]
    fast_checks(net, tg)
    elb.get_waiter("target_in_service").wait(TargetGroupArn=tg, WaiterConfig={"Delay": 1, "MaxAttempts": 40})
    t1, t2 = net["t1"]["InstanceId"], net["t2"]["InstanceId"]
    client, node = net["client"]["InstanceId"], net["nodes"]["us-east-1a"]
    session = lab.session(client, node, 80, timeout=2)
    assert session.connected and session.exchange("before") == "ok"
    elb.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": t1}])
    try:
        assert target_health(net, tg)[t1]["State"] == "draining"
        assert session.exchange("during") == "ok"  # the open connection goes on to t1
        since = marks(net)
        assert lab.tcp(client, node, 80, timeout=2)
        assert connections_seen(net, since) == {t1: [], t2: [net["client"]["PrivateIpAddress"]]}
    finally:
        elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": t1}])
        session.stop()
    assert target_health(net, tg)[t1]["State"] == "initial"


def test_tcp_udp_listener(lab, net):
    """A TCP_UDP listener carries both protocols on one port to a TCP_UDP target group."""
    elb = net["elb"]
    t1 = net["t1"]["InstanceId"]
    udp7000 = lab.serve(t1, "udp", 7000)
    tg = elb.create_target_group(Name="both", Protocol="TCP_UDP", Port=7000, VpcId=net["vpc"])["TargetGroups"][0][
        "TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": t1}])
    listener = elb.create_listener(LoadBalancerArn=net["lb"]["LoadBalancerArn"], Protocol="TCP_UDP", Port=5353,
                                   DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]
    try:
        since, udp_since = marks(net), udp7000.mark()
        assert lab.tcp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 5353, timeout=2)
        assert lab.udp(net["client"]["InstanceId"], net["nodes"]["us-east-1a"], 5353, timeout=2, msg="both-ways")
        assert connections_seen(net, since)[t1] == [net["client"]["PrivateIpAddress"]]
        assert [w[1] for w in lines(udp7000, udp_since, "recv")] == [net["client"]["PrivateIpAddress"]]
    finally:
        elb.delete_listener(ListenerArn=listener["ListenerArn"])
        udp7000.stop()
