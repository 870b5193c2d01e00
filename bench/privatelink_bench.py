#!/usr/bin/env python3
"""Benchmark of issue 14 (PrivateLink): figures, not a pass/fail test.

    sudo python3 bench/privatelink_bench.py [--binary build/openvpc] [--seconds 5]

Prints a Markdown table (| measure | through the endpoint | the NLB directly | the target directly |
ratios |) and writes the raw figures as JSON to --json. Needs root and iperf3.

- The provider: VPC 10.0.0.0/16, subnet 10.0.1.0/24, targets T1 and T2 and a client P of its own;
  an internal NLB with a TCP listener on 5201 to T1 alone (throughput: iperf3's connections must
  reach one server) and one on 5300 to T1 and T2 (new connections); an endpoint service of it,
  accepting at once.
- The consumer: VPC 10.1.0.0/16, subnet 10.1.1.0/24, client C and an interface endpoint to the
  service in the subnet. C's connections to the endpoint's address cross the endpoint (its
  groups), become the node's own connections and reach the targets (SVC-08).
- The baselines, measured in the same run: P to the NLB's node (the same load balancer without
  the endpoint), and P to T1 directly (the engine's plain path).
- TCP throughput: iperf3 -t SECONDS, one stream; the receiver's Gbit/s.
- New connections per second: bench/dataplane_probe.py flows-client, 64 in flight, each from a
  source port not used before, handshake counted, closed with RST. Every group allows all
  traffic from and to 0.0.0.0/0, so connections are not tracked (CT-3).
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import dataplane_bench as db  # noqa: E402
from load_balancer_bench import IMAGE, flows, iperf  # noqa: E402

import boto3  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"))
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--json", default="/tmp/openvpc-privatelink-bench.json")
    a = ap.parse_args()
    if not shutil.which("iperf3"):
        sys.exit("needs iperf3")
    tmp = tempfile.mkdtemp(prefix="openvpc-pl-bench-")
    db.CLEANUP.tmpdir = tmp
    binary = os.path.join(tmp, "openvpc")
    shutil.copy2(a.binary, binary)
    data_dir, endpoint = db.start_server(binary, tmp)
    kw = dict(region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")
    ec2, elb = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)

    def network(cidr, subnet_cidr):
        vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(VpcId=vpc, GroupName="bench", Description="bench")["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
            {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        return vpc, subnet, sg

    pvpc, psub, psg = network("10.0.0.0/16", "10.0.1.0/24")
    cvpc, csub, csg = network("10.1.0.0/16", "10.1.1.0/24")
    launch = lambda subnet, sg: ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                                  SubnetId=subnet, SecurityGroupIds=[sg])["Instances"][0]
    insts = {"T1": launch(psub, psg), "T2": launch(psub, psg), "P": launch(psub, psg), "C": launch(csub, csg)}
    for i in insts.values():
        db.wait_address(binary, data_dir, i["InstanceId"], i["PrivateIpAddress"])
    for n in db.list_netns():
        if n.endswith("-" + insts["T1"]["InstanceId"]):
            db.CLEANUP.instance_ns_prefix = n[: -len(insts["T1"]["InstanceId"])]
    side = {name: db.Side(f"openvpc {name}", i["PrivateIpAddress"],
                          [binary, "exec", "--data-dir", data_dir, i["InstanceId"], "--"], "eth0")
            for name, i in insts.items()}
    lb = elb.create_load_balancer(Name="bench", Type="network", Scheme="internal", Subnets=[psub])["LoadBalancers"][0]
    node = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
    for name, port, targets in (("thr", 5201, ["T1"]), ("flows", 5300, ["T1", "T2"])):
        tg = elb.create_target_group(Name=name, Protocol="TCP", Port=port, VpcId=pvpc)["TargetGroups"][0]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                             Targets=[{"Id": insts[t]["InstanceId"]} for t in targets])
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    svc = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[lb["LoadBalancerArn"]],
                                                        AcceptanceRequired=False)["ServiceConfiguration"]
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"],
                                                AddAllowedPrincipals=["arn:aws:iam::123456789012:root"])
    e = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=cvpc, ServiceName=svc["ServiceName"],
                                SubnetIds=[csub], SecurityGroupIds=[csg])["VpcEndpoint"]
    vpce_ip = ec2.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0][
        "PrivateIpAddress"]
    C, P, T1, T2 = side["C"], side["P"], side["T1"], side["T2"]
    s = a.seconds
    r = {}
    db.log("throughput")
    r["tcp_endpoint"] = iperf(C, T1, vpce_ip, 5201, s)
    r["tcp_nlb"] = iperf(P, T1, node, 5201, s)
    r["tcp_direct"] = iperf(P, T1, T1.ip, 5201, s)
    db.log("new connections")
    r["flows_endpoint"] = flows(C, [T1, T2], vpce_ip, 5300, s)
    time.sleep(11)  # the load balancer forgets closed connections 10 s after their last packet
    r["flows_nlb"] = flows(P, [T1, T2], node, 5300, s)
    time.sleep(11)
    r["flows_direct"] = flows(P, [T1], T1.ip, 5300, s)

    with open(a.json, "w") as f:
        json.dump(r, f, indent=2)
    print("| measure | through the endpoint | the NLB directly | the target directly | endpoint / NLB | endpoint / direct |")
    print("|---|---|---|---|---|---|")
    print(f"| TCP, 1 stream (Gbit/s) | {r['tcp_endpoint']:.2f} | {r['tcp_nlb']:.2f} | {r['tcp_direct']:.2f} | "
          f"{r['tcp_endpoint'] / r['tcp_nlb']:.2f} | {r['tcp_endpoint'] / r['tcp_direct']:.2f} |")
    print(f"| new connections/s (2 targets) | {r['flows_endpoint']:.0f} | {r['flows_nlb']:.0f} | "
          f"{r['flows_direct']:.0f} | {r['flows_endpoint'] / r['flows_nlb']:.2f} | "
          f"{r['flows_endpoint'] / r['flows_direct']:.2f} |")


if __name__ == "__main__":
    try:
        main()
    finally:
        db.CLEANUP.run()
