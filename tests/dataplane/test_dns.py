"""The VPC resolver on real queries: base+2 and 169.254.169.253, private names, PTR, attributes.

Rule ids: shared/spec/inventory-vpc-guide.md (R1, R2, R4, R5, R8, R13, O3, Q2, Q5).
"""
import re

import pytest

from dplib import SETTLE, wait_for

RESOLVERS = ["10.0.0.2", "169.254.169.253"]


def hostname(ip):
    return "ip-" + ip.replace(".", "-") + ".ec2.internal"


@pytest.fixture(scope="module")
def net(lab):
    """VPC 10.0.0.0/16 with enableDnsHostnames true: A in 10.0.1.0/24, B in 10.0.2.0/24."""
    vpc = lab.vpc("10.0.0.0/16", hostnames=True)
    sub_a = lab.subnet(vpc, "10.0.1.0/24")
    sub_b = lab.subnet(vpc, "10.0.2.0/24")
    a = lab.launch(sub_a)
    b = lab.launch(sub_b)
    return dict(vpc=vpc, sub_a=sub_a, a=a["InstanceId"], b=b["InstanceId"], a_ip=a["PrivateIpAddress"],
                b_ip=b["PrivateIpAddress"])


def dig(lab, src, server, *args, timeout=1):
    """dig inside src; returns (rc, short answer lines, status or None)."""
    rc, out, _ = lab.sh(src, ["dig", f"+time={timeout}", "+tries=1", f"@{server}", *args], timeout=timeout * 3 + 5)
    status = re.search(r"status: (\w+)", out)
    answers = [l.split()[-1] for l in out.splitlines()
               if l and not l.startswith(";") and len(l.split()) >= 5 and l.split()[3] in ("A", "PTR")]
    return rc, answers, status.group(1) if status else None


def set_attribute(lab, net, name, value):
    lab.ec2.modify_vpc_attribute(VpcId=net["vpc"], **{name: {"Value": value}})
    key = name[0].lower() + name[1:]
    got = lab.ec2.describe_vpc_attribute(VpcId=net["vpc"], Attribute=key)[name]["Value"]
    assert got is value


@pytest.mark.parametrize("resolver", RESOLVERS)
def test_private_name_resolves(lab, net, resolver):
    """R1, R4, R8: with both attributes true the resolver at base+2 and at 169.254.169.253 answers
    another instance's ip-a-b-c-d.ec2.internal with its private IPv4."""
    rc, answers, status = dig(lab, net["a"], resolver, hostname(net["b_ip"]), "A")
    assert (rc, status, answers) == (0, "NOERROR", [net["b_ip"]])


def test_public_dns_name_resolves_to_the_private_address_inside(lab, net):
    """Issue 15, R7: an instance with a public IPv4 address in a VPC with DNS hostnames on has a
    PublicDnsName (ec2-198-51-100-N.compute-1.amazonaws.com in us-east-1); the VPC's resolver
    answers that name from inside the VPC with the instance's private address. An address without
    an instance behind it has no such answer (control on the same path)."""
    ec2 = lab.ec2
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=net["vpc"])
    c = lab.launch(net["sub_a"], NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net["sub_a"],
                                                      "AssociatePublicIpAddress": True}])
    desc = ec2.describe_instances(InstanceIds=[c["InstanceId"]])["Reservations"][0]["Instances"][0]
    public_ip, name = desc["PublicIpAddress"], desc["PublicDnsName"]
    assert name == "ec2-" + public_ip.replace(".", "-") + ".compute-1.amazonaws.com"
    rc, answers, status = dig(lab, net["b"], RESOLVERS[0], name, "A")
    assert (rc, status, answers) == (0, "NOERROR", [c["PrivateIpAddress"]])
    unused = "198.51.100.254" if public_ip != "198.51.100.254" else "198.51.100.253"
    rc, answers, status = dig(lab, net["b"], RESOLVERS[0], "ec2-" + unused.replace(".", "-") +
                              ".compute-1.amazonaws.com", "A")
    assert answers == [] and status == "NXDOMAIN", (rc, answers, status)


@pytest.mark.parametrize("resolver", RESOLVERS)
def test_reverse_lookup(lab, net, resolver):
    """R4, R8: PTR of a private address of the VPC is the instance's private name."""
    rc, answers, status = dig(lab, net["a"], resolver, "-x", net["b_ip"])
    assert (rc, status, answers) == (0, "NOERROR", [hostname(net["b_ip"]) + "."])


def test_getent_uses_search_domain(lab, net):
    """Q2, Q5: resolv.conf from DHCP (search ec2.internal, nameserver base+2) makes the short name
    ip-10-0-2-x resolve through the system resolver (getent hosts)."""
    short = "ip-" + net["b_ip"].replace(".", "-")
    rc, out, err = lab.sh(net["a"], ["getent", "hosts", short], timeout=10)
    assert rc == 0, (out, err)
    assert out.split()[0] == net["b_ip"], out
    rc, out, _ = lab.sh(net["a"], ["getent", "hosts", hostname(net["a_ip"])], timeout=10)
    assert rc == 0 and out.split()[0] == net["a_ip"], out


def test_unknown_private_name_is_nxdomain(lab, net):
    """R8: a well-formed private name of an address no interface holds does not resolve."""
    rc, answers, status = dig(lab, net["a"], "10.0.0.2", hostname("10.0.3.77"), "A")
    assert rc == 0 and answers == [] and status == "NXDOMAIN"


def test_resolver_is_not_filtered_by_groups_or_acls(lab, net):
    """R13, O3: an instance whose group has no egress rule, in a subnet whose ACL denies everything,
    still gets answers from the resolver (base+2 and 169.254.169.253)."""
    ec2 = lab.ec2
    sg = lab.group(net["vpc"], "closed", egress=[])
    sub = lab.subnet(net["vpc"], "10.0.9.0/24")
    acl = ec2.create_network_acl(VpcId=net["vpc"])["NetworkAcl"]["NetworkAclId"]
    assoc = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [sub]}])["NetworkAcls"][0]
    assoc_id = [x for x in assoc["Associations"] if x["SubnetId"] == sub][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=assoc_id, NetworkAclId=acl)
    c = lab.launch(sub, SecurityGroupIds=[sg])["InstanceId"]
    assert not lab.ping(c, net["a_ip"], wait=1)  # control: the closed group and the ACL are in force
    for resolver in RESOLVERS:
        rc, answers, status = dig(lab, c, resolver, hostname(net["b_ip"]), "A")
        assert (rc, status, answers) == (0, "NOERROR", [net["b_ip"]]), resolver


def test_hostnames_false_gives_nxdomain(lab, net):
    """R4, R5: with enableDnsHostnames false (CreateVpc's default) the private names do not resolve:
    the resolver answers NXDOMAIN."""
    set_attribute(lab, net, "EnableDnsHostnames", False)
    try:
        def nx():
            rc, answers, status = dig(lab, net["a"], "10.0.0.2", hostname(net["b_ip"]), "A")
            return rc == 0 and status == "NXDOMAIN" and not answers
        wait_for(nx, timeout=SETTLE, interval=0.05, what="NXDOMAIN with hostnames off")
        rc, answers, status = dig(lab, net["a"], "169.254.169.253", hostname(net["b_ip"]), "A")
        assert (rc, status, answers) == (0, "NXDOMAIN", [])
    finally:
        set_attribute(lab, net, "EnableDnsHostnames", True)
    wait_for(lambda: dig(lab, net["a"], "10.0.0.2", hostname(net["b_ip"]), "A")[1] == [net["b_ip"]], timeout=SETTLE,
             what="answers again")


@pytest.mark.parametrize("resolver", RESOLVERS)
def test_resolver_answers_over_tcp(lab, net, resolver):
    """R1, R4, R8: the resolver answers over TCP too (a client retries there after a truncated
    UDP answer); A, PTR and NXDOMAIN, several queries on one connection."""
    rc, answers, status = dig(lab, net["a"], resolver, "+tcp", hostname(net["b_ip"]), "A")
    assert (rc, status, answers) == (0, "NOERROR", [net["b_ip"]])
    rc, answers, status = dig(lab, net["a"], resolver, "+tcp", "-x", net["b_ip"])
    assert (rc, status, answers) == (0, "NOERROR", [hostname(net["b_ip"]) + "."])
    rc, answers, status = dig(lab, net["a"], resolver, "+tcp", "+keepopen", "ip-10-0-9-9.ec2.internal", "A",
                              hostname(net["a_ip"]), "A")
    assert rc == 0 and status == "NXDOMAIN" and answers == [net["a_ip"]]


def test_dns_support_false_means_no_answer(lab, net):
    """R2: with enableDnsSupport false the resolver does not answer at all: dig times out (status 9)."""
    set_attribute(lab, net, "EnableDnsSupport", False)
    try:
        def silent():
            rc, _, status = dig(lab, net["a"], "10.0.0.2", hostname(net["b_ip"]), "A")
            return rc == 9 and status is None
        wait_for(silent, timeout=SETTLE, interval=0, what="no answer with DNS support off")
        rc, _, status = dig(lab, net["a"], "169.254.169.253", hostname(net["b_ip"]), "A")
        assert rc == 9 and status is None
        rc, _, status = dig(lab, net["a"], "10.0.0.2", "+tcp", hostname(net["b_ip"]), "A")
        assert status is None and rc != 0, "nor over TCP"
    finally:
        set_attribute(lab, net, "EnableDnsSupport", True)
    wait_for(lambda: dig(lab, net["a"], "10.0.0.2", hostname(net["b_ip"]), "A")[1] == [net["b_ip"]], timeout=SETTLE,
             what="answers again")


def test_new_vpc_has_hostnames_off(lab, net):
    """R5: a VPC made by CreateVpc has enableDnsSupport true and enableDnsHostnames false, so its
    resolver answers (NXDOMAIN) but not with private names."""
    vpc = lab.vpc("10.1.0.0/16")
    sub = lab.subnet(vpc, "10.1.1.0/24")
    c = lab.launch(sub)
    rc, answers, status = dig(lab, c["InstanceId"], "10.1.0.2", hostname(c["PrivateIpAddress"]), "A")
    assert (rc, status, answers) == (0, "NXDOMAIN", [])
