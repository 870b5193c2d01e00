#!/usr/bin/env python3
"""Regenerates src/api/shapes/SERVICE.json: botocore's model of each AWS service openvpc
serves, shapes only.

Keeps the operations openvpc serves (SERVICES below) and every shape they reach, the metadata
the wire needs (protocol, XML namespace, JSON target prefix), and drops the documentation text.
Run it after adding an operation or a service:  python3 scripts/gen_shapes.py
"""
import gzip
import json
import os

import botocore

EC2 = """
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
DescribeInstanceCreditSpecifications ModifyInstanceCreditSpecification ModifyInstanceMetadataOptions
DescribeVolumes DescribeInstanceTypeOfferings
CreateSubnetCidrReservation GetSubnetCidrReservations DeleteSubnetCidrReservation
CreateVpcEndpointServiceConfiguration DescribeVpcEndpointServiceConfigurations DeleteVpcEndpointServiceConfigurations
ModifyVpcEndpointServicePermissions DescribeVpcEndpointServicePermissions AcceptVpcEndpointConnections
RejectVpcEndpointConnections DescribeVpcEndpointConnections CreateVpcEndpoint DescribeVpcEndpoints DeleteVpcEndpoints
ModifyVpcEndpoint ModifyVpcEndpointServiceConfiguration DescribeVpcEndpointServices
StartVpcEndpointServicePrivateDnsVerification
CreateVpcEndpointConnectionNotification ModifyVpcEndpointConnectionNotification
DescribeVpcEndpointConnectionNotifications DeleteVpcEndpointConnectionNotifications
CreateManagedPrefixList DescribeManagedPrefixLists ModifyManagedPrefixList DeleteManagedPrefixList
GetManagedPrefixListEntries GetManagedPrefixListAssociations RestoreManagedPrefixListVersion DescribePrefixLists
AssociateIamInstanceProfile ReplaceIamInstanceProfileAssociation DisassociateIamInstanceProfile
DescribeIamInstanceProfileAssociations
""".split()

# signing name (the credential scope's service): (botocore's directory, version, operations)
SERVICES = {
    "ec2": ("ec2", "2016-11-15", EC2),
    "sts": ("sts", "2011-06-15", ["GetCallerIdentity"]),
    "ssm": ("ssm", "2014-11-06", ["GetParameter", "GetParameters", "GetParametersByPath"]),
    # Elastic Load Balancing: Network and Gateway Load Balancers (issue 13)
    "elasticloadbalancing": ("elbv2", "2015-12-01", """
CreateLoadBalancer DescribeLoadBalancers DeleteLoadBalancer DescribeLoadBalancerAttributes
ModifyLoadBalancerAttributes SetSubnets SetSecurityGroups SetIpAddressType
CreateTargetGroup DescribeTargetGroups ModifyTargetGroup DeleteTargetGroup DescribeTargetGroupAttributes
ModifyTargetGroupAttributes RegisterTargets DeregisterTargets DescribeTargetHealth
CreateListener DescribeListeners ModifyListener DeleteListener AddTags RemoveTags DescribeTags
DescribeAccountLimits
""".split()),
}
METADATA = ("apiVersion", "protocol", "xmlNamespace", "targetPrefix", "jsonVersion", "endpointPrefix")

KEEP = {"type", "members", "member", "key", "value", "required", "locationName", "queryName", "min", "max",
        "enum", "shape", "flattened", "timestampFormat"}


def strip(shape):
    out = {k: v for k, v in shape.items() if k in KEEP}
    if "members" in out:
        out["members"] = {name: {k: v for k, v in ref.items() if k in KEEP}
                          for name, ref in shape["members"].items()}
    for ref in ("member", "key", "value"):
        if ref in out:
            out[ref] = {k: v for k, v in shape[ref].items() if k in KEEP}
    return out


def generate(name, directory, version, operations):
    src = os.path.join(os.path.dirname(botocore.__file__), "data", directory, version, "service-2.json.gz")
    model = json.load(gzip.open(src))
    shapes, ops = model["shapes"], {}
    keep, todo = set(), []
    for op_name in operations:
        op = model["operations"][op_name]
        ops[op_name] = {k: op[k]["shape"] for k in ("input", "output") if k in op}
        if "resultWrapper" in op.get("output", {}):
            ops[op_name]["resultWrapper"] = op["output"]["resultWrapper"]
        todo += [op[k]["shape"] for k in ("input", "output") if k in op]
    while todo:
        s = todo.pop()
        if s in keep:
            continue
        keep.add(s)
        shape = shapes[s]
        todo += [m["shape"] for m in shape.get("members", {}).values()]
        if "member" in shape:
            todo.append(shape["member"]["shape"])
        todo += [shape[k]["shape"] for k in ("key", "value") if k in shape]
    metadata = {k: model["metadata"][k] for k in METADATA if k in model["metadata"]}
    metadata.update(signingName=name, botocoreVersion=botocore.__version__)
    out = {"metadata": metadata,
           "operations": ops,
           "shapes": {s: strip(shapes[s]) for s in sorted(keep)}}
    dst = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "api", "shapes",
                       name + ".json")
    with open(dst, "w") as f:
        json.dump(out, f, indent=0, sort_keys=True)
        f.write("\n")
    print(f"{dst}: {len(ops)} operations, {len(keep)} shapes")


def main():
    for name, (directory, version, operations) in SERVICES.items():
        generate(name, directory, version, operations)


if __name__ == "__main__":
    main()
