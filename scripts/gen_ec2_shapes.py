#!/usr/bin/env python3
"""Regenerates src/api/ec2-shapes.json: botocore's EC2 model (2016-11-15), shapes only.

Keeps the operations openvpc serves (OPERATIONS below) and every shape they reach, and drops
the documentation text. Run it after adding an operation:  python3 scripts/gen_ec2_shapes.py
"""
import gzip
import json
import os

import botocore

OPERATIONS = """
CreateVpc DeleteVpc DescribeVpcs DescribeVpcAttribute ModifyVpcAttribute AssociateVpcCidrBlock
DisassociateVpcCidrBlock ModifyVpcTenancy CreateDefaultVpc
CreateSubnet DeleteSubnet DescribeSubnets ModifySubnetAttribute AssociateSubnetCidrBlock
DisassociateSubnetCidrBlock CreateDefaultSubnet
CreateRouteTable DeleteRouteTable DescribeRouteTables AssociateRouteTable DisassociateRouteTable
ReplaceRouteTableAssociation CreateRoute ReplaceRoute DeleteRoute
CreateInternetGateway DeleteInternetGateway DescribeInternetGateways AttachInternetGateway
DetachInternetGateway CreateEgressOnlyInternetGateway DeleteEgressOnlyInternetGateway
DescribeEgressOnlyInternetGateways
CreateDhcpOptions DeleteDhcpOptions DescribeDhcpOptions AssociateDhcpOptions
CreateTags DeleteTags DescribeTags
DescribeAvailabilityZones DescribeRegions DescribeAccountAttributes
CreateSecurityGroup DeleteSecurityGroup DescribeSecurityGroups AuthorizeSecurityGroupIngress
AuthorizeSecurityGroupEgress RevokeSecurityGroupIngress RevokeSecurityGroupEgress
UpdateSecurityGroupRuleDescriptionsIngress UpdateSecurityGroupRuleDescriptionsEgress
DescribeSecurityGroupRules ModifySecurityGroupRules
CreateNetworkAcl DeleteNetworkAcl DescribeNetworkAcls CreateNetworkAclEntry ReplaceNetworkAclEntry
DeleteNetworkAclEntry ReplaceNetworkAclAssociation
CreateNetworkInterface DeleteNetworkInterface DescribeNetworkInterfaces AttachNetworkInterface
DetachNetworkInterface ModifyNetworkInterfaceAttribute DescribeNetworkInterfaceAttribute
ResetNetworkInterfaceAttribute AssignPrivateIpAddresses UnassignPrivateIpAddresses AssignIpv6Addresses
UnassignIpv6Addresses
RunInstances DescribeInstances StartInstances StopInstances TerminateInstances RebootInstances GetConsoleOutput
DescribeInstanceStatus DescribeInstanceAttribute ModifyInstanceAttribute
CreateKeyPair ImportKeyPair DescribeKeyPairs DeleteKeyPair
AllocateAddress AssociateAddress DisassociateAddress ReleaseAddress DescribeAddresses DescribeAddressesAttribute
CreateVpcPeeringConnection AcceptVpcPeeringConnection RejectVpcPeeringConnection
DeleteVpcPeeringConnection DescribeVpcPeeringConnections ModifyVpcPeeringConnectionOptions
DescribeInstanceTypes DescribeImages CreatePlacementGroup DeletePlacementGroup DescribePlacementGroups
CreateNatGateway DeleteNatGateway DescribeNatGateways
""".split()

KEEP = {"type", "members", "member", "required", "locationName", "queryName", "min", "max",
        "enum", "shape", "flattened", "timestampFormat"}


def strip(shape):
    out = {k: v for k, v in shape.items() if k in KEEP}
    if "members" in out:
        out["members"] = {name: {k: v for k, v in ref.items() if k in KEEP}
                          for name, ref in shape["members"].items()}
    if "member" in out:
        out["member"] = {k: v for k, v in shape["member"].items() if k in KEEP}
    return out


def main():
    src = os.path.join(os.path.dirname(botocore.__file__), "data", "ec2", "2016-11-15", "service-2.json.gz")
    model = json.load(gzip.open(src))
    shapes, ops = model["shapes"], {}
    keep, todo = set(), []
    for name in OPERATIONS:
        op = model["operations"][name]
        ops[name] = {k: op[k]["shape"] for k in ("input", "output") if k in op}
        todo += ops[name].values()
    while todo:
        s = todo.pop()
        if s in keep:
            continue
        keep.add(s)
        shape = shapes[s]
        todo += [m["shape"] for m in shape.get("members", {}).values()]
        if "member" in shape:
            todo.append(shape["member"]["shape"])
    out = {"metadata": {"apiVersion": model["metadata"]["apiVersion"],
                        "xmlNamespace": model["metadata"]["xmlNamespace"],
                        "botocoreVersion": botocore.__version__},
           "operations": ops,
           "shapes": {s: strip(shapes[s]) for s in sorted(keep)}}
    dst = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "api", "ec2-shapes.json")
    with open(dst, "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"{dst}: {len(ops)} operations, {len(keep)} shapes")


if __name__ == "__main__":
    main()
