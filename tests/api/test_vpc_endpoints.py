"""Endpoint services of Gateway Load Balancers and Gateway Load Balancer endpoints (EC2 API), as
issue 13 needs them to steer traffic to appliances; the rules are the PrivateLink inventory's
(shared/spec/inventory-privatelink.md: SVC-*, GLB-*).
"""
import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import make_client
from helpers import ACCOUNT_ID, OTHER_ACCOUNT_ID, assert_error


@pytest.fixture
def provider(ec2, endpoint):
    elb = make_client(endpoint, service="elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.80.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    gwlb = elb.create_load_balancer(Name="gwlb", Type="gateway", Subnets=[subnet])["LoadBalancers"][0]
    svc = ec2.create_vpc_endpoint_service_configuration(GatewayLoadBalancerArns=[gwlb["LoadBalancerArn"]])[
        "ServiceConfiguration"]
    return dict(vpc=vpc, subnet=subnet, gwlb=gwlb, svc=svc, elb=elb)


def test_service_configuration(ec2, provider):
    svc = provider["svc"]
    assert svc["ServiceType"] == [{"ServiceType": "GatewayLoadBalancer"}]
    assert svc["ServiceId"].startswith("vpce-svc-")
    assert svc["ServiceName"] == f"com.amazonaws.vpce.us-east-1.{svc['ServiceId']}"
    assert svc["AcceptanceRequired"] is True and svc["ServiceState"] == "Available"
    assert svc["AvailabilityZones"] == ["us-east-1a"]
    assert svc["GatewayLoadBalancerArns"] == [provider["gwlb"]["LoadBalancerArn"]]
    described = ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])["ServiceConfigurations"]
    assert described[0]["ServiceName"] == svc["ServiceName"]
    assert_error("InvalidVpcEndpointServiceId.NotFound", ec2.describe_vpc_endpoint_service_configurations,
                 ServiceIds=["vpce-svc-0123456789abcdef0"])
    # SVC-01: a load balancer, and one kind of them.
    assert_error("InvalidParameter", ec2.create_vpc_endpoint_service_configuration)
    # SVC-04: nobody may connect until allowed.
    assert ec2.describe_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"])["AllowedPrincipals"] == []
    # The service's load balancer stays while the service does.
    assert_error("ResourceInUse", provider["elb"].delete_load_balancer, LoadBalancerArn=provider["gwlb"]["LoadBalancerArn"])
    ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])
    provider["elb"].delete_load_balancer(LoadBalancerArn=provider["gwlb"]["LoadBalancerArn"])


def test_gateway_load_balancer_endpoint_lifecycle(ec2, provider):
    svc = provider["svc"]
    vpc, subnet = provider["vpc"], provider["subnet"]
    ep_subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.80.2.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    create = dict(VpcEndpointType="GatewayLoadBalancer", VpcId=vpc, ServiceName=svc["ServiceName"],
                  SubnetIds=[ep_subnet])
    assert_error("InvalidServiceName", ec2.create_vpc_endpoint, **create)  # SVC-04: not allowed yet
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"],
                                                AddAllowedPrincipals=[f"arn:aws:iam::{ACCOUNT_ID}:root"])
    assert ec2.describe_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"])["AllowedPrincipals"][0][
        "Principal"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    # GLB-02: one subnet; GLB-09: no security groups; GLB-03: a zone of the load balancer.
    other_zone = ec2.create_subnet(VpcId=vpc, CidrBlock="10.80.3.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **{**create, "SubnetIds": [ep_subnet, other_zone]})
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **{**create, "SubnetIds": [other_zone]})
    sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"][0]["GroupId"]
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **create, SecurityGroupIds=[sg])
    e = ec2.create_vpc_endpoint(**create)["VpcEndpoint"]
    assert e["VpcEndpointId"].startswith("vpce-") and e["State"] == "pendingAcceptance"  # GLB-04
    assert e["SubnetIds"] == [ep_subnet] and len(e["NetworkInterfaceIds"]) == 1
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "gateway_load_balancer_endpoint" and eni["RequesterManaged"] is True
    assert eni["Groups"] == [] and eni["Description"] == f"VPC Endpoint Interface {e['VpcEndpointId']}"
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **create)  # GLB-03: one per zone
    conns = ec2.describe_vpc_endpoint_connections()["VpcEndpointConnections"]
    assert [(c["VpcEndpointId"], c["VpcEndpointState"]) for c in conns] == [(e["VpcEndpointId"], "pendingAcceptance")]
    assert ec2.accept_vpc_endpoint_connections(ServiceId=svc["ServiceId"],
                                               VpcEndpointIds=[e["VpcEndpointId"]])["Unsuccessful"] == []
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["VpcEndpoints"][0]["State"] == "available"
    # GLB-01 and G11: a route target, also more specific than the local route.
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.80.1.0/24", VpcEndpointId=e["VpcEndpointId"])
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
             if r.get("DestinationCidrBlock") == "10.80.1.0/24"][0]
    assert route["GatewayId"] == e["VpcEndpointId"] and route["State"] == "active"  # shown as AWS shows it
    # GLB-11: not deleted while a route targets it; SVC-11: the service not while it lives.
    failed = ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["Unsuccessful"]
    assert failed[0]["Error"]["Code"] == "DependencyViolation"
    failed = ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])["Unsuccessful"]
    assert failed[0]["Error"]["Code"] == "ExistingVpcEndpointConnections"
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="10.80.1.0/24")
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["Unsuccessful"] == []
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces,
                 NetworkInterfaceIds=e["NetworkInterfaceIds"])  # GLB-12
    assert ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])["Unsuccessful"] == []


def test_another_account_connects_when_allowed(ec2_factory, provider):
    provider_ec2 = ec2_factory()
    consumer = ec2_factory(account="other")
    svc = provider["svc"]
    vpc = consumer.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    subnet = consumer.create_subnet(VpcId=vpc, CidrBlock="10.90.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    create = dict(VpcEndpointType="GatewayLoadBalancer", VpcId=vpc, ServiceName=svc["ServiceName"], SubnetIds=[subnet])
    assert_error("InvalidServiceName", consumer.create_vpc_endpoint, **create)
    provider_ec2.modify_vpc_endpoint_service_permissions(
        ServiceId=svc["ServiceId"], AddAllowedPrincipals=[f"arn:aws:iam::{OTHER_ACCOUNT_ID}:root"])
    e = consumer.create_vpc_endpoint(**create)["VpcEndpoint"]
    conns = provider_ec2.describe_vpc_endpoint_connections()["VpcEndpointConnections"]
    assert [(c["VpcEndpointId"], c["VpcEndpointOwner"]) for c in conns] == [(e["VpcEndpointId"], OTHER_ACCOUNT_ID)]
    provider_ec2.reject_vpc_endpoint_connections(ServiceId=svc["ServiceId"], VpcEndpointIds=[e["VpcEndpointId"]])
    assert consumer.describe_vpc_endpoints()["VpcEndpoints"][0]["State"] == "rejected"
