"""Route 53's public hosted zones (issue 14: the public DNS of the simulated internet, where an
endpoint service's provider publishes the TXT record of its private DNS name, PDN-06), with
boto3's route53 client and the aws CLI at the same endpoint. Rules: the Route 53 API Reference
(CreateHostedZone, ChangeResourceRecordSets, ListResourceRecordSets, DeleteHostedZone, GetChange).
"""
import json
import os
import subprocess

import pytest
from botocore.exceptions import ClientError

from conftest import make_client


@pytest.fixture
def r53(endpoint):
    return make_client(endpoint, service="route53")


def code(e):
    return e.value.response["Error"]["Code"]


def change(r53, zone, action, name, rtype, values, ttl=300):
    return r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": action, "ResourceRecordSet": {"Name": name, "Type": rtype, "TTL": ttl,
                                                "ResourceRecords": [{"Value": v} for v in values]}}]})


def records(r53, zone, **kw):
    return [(r["Name"], r["Type"], [v["Value"] for v in r.get("ResourceRecords", [])])
            for r in r53.list_resource_record_sets(HostedZoneId=zone, **kw)["ResourceRecordSets"]]


def test_create_get_list_delete(r53):
    # CreateHostedZone: 201, the zone with its name's trailing dot, the apex NS and SOA records
    # (ResourceRecordSetCount 2), four name servers, and a change that is in sync at once.
    z = r53.create_hosted_zone(Name="Example.COM", CallerReference="ref-1",
                               HostedZoneConfig={"Comment": "provider domain"})
    assert z["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert z["ResponseMetadata"]["HTTPHeaders"]["location"].endswith(z["HostedZone"]["Id"])
    zone = z["HostedZone"]
    assert zone["Id"].startswith("/hostedzone/Z") and zone["Name"] == "example.com."
    assert zone["Config"] == {"Comment": "provider domain", "PrivateZone": False}
    assert zone["ResourceRecordSetCount"] == 2
    assert len(z["DelegationSet"]["NameServers"]) == 4
    assert z["ChangeInfo"]["Status"] == "INSYNC"
    got = r53.get_hosted_zone(Id=zone["Id"])
    assert got["HostedZone"]["Name"] == "example.com." and len(got["DelegationSet"]["NameServers"]) == 4
    assert [h["Id"] for h in r53.list_hosted_zones()["HostedZones"]] == [zone["Id"]]
    assert r53.get_hosted_zone_count()["HostedZoneCount"] == 1
    assert [t for _, t, _ in records(r53, zone["Id"])] == ["NS", "SOA"]
    r53.delete_hosted_zone(Id=zone["Id"])
    with pytest.raises(ClientError) as e:
        r53.get_hosted_zone(Id=zone["Id"])
    assert code(e) == "NoSuchHostedZone" and e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_create_errors(r53):
    r53.create_hosted_zone(Name="example.com", CallerReference="same")
    with pytest.raises(ClientError) as e:  # the caller reference makes the request idempotent-once
        r53.create_hosted_zone(Name="example.org", CallerReference="same")
    assert code(e) == "HostedZoneAlreadyExists"
    for bad in ("bad..name.com", "under score.com", "a" * 64 + ".com"):
        with pytest.raises(ClientError) as e:
            r53.create_hosted_zone(Name=bad, CallerReference="r-" + bad[:10])
        assert code(e) == "InvalidDomainName", bad
    with pytest.raises(ClientError) as e:  # a private zone needs VPCs, which openvpc's Route 53 does not serve
        r53.create_hosted_zone(Name="corp.internal", CallerReference="private",
                               VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"})
    assert code(e) == "InvalidInput"


def test_change_batches(r53):
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="c")["HostedZone"]["Id"]
    c = change(r53, zone, "CREATE", "www.example.com", "A", ["192.0.2.44"])
    assert c["ChangeInfo"]["Status"] == "INSYNC"
    assert r53.get_change(Id=c["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    r53.get_waiter("resource_record_sets_changed").wait(Id=c["ChangeInfo"]["Id"])
    # CREATE of an existing record, DELETE of a missing one or with other values: InvalidChangeBatch.
    with pytest.raises(ClientError) as e:
        change(r53, zone, "CREATE", "www.example.com", "A", ["192.0.2.45"])
    assert code(e) == "InvalidChangeBatch" and "already exists" in str(e.value)
    with pytest.raises(ClientError) as e:
        change(r53, zone, "DELETE", "nope.example.com", "A", ["192.0.2.45"])
    assert code(e) == "InvalidChangeBatch" and "not found" in str(e.value)
    with pytest.raises(ClientError) as e:
        change(r53, zone, "DELETE", "www.example.com", "A", ["192.0.2.45"])
    assert code(e) == "InvalidChangeBatch" and "do not match" in str(e.value)
    # Outside the zone; a value its type does not take; a CNAME beside other records.
    with pytest.raises(ClientError) as e:
        change(r53, zone, "CREATE", "www.example.org", "A", ["192.0.2.1"])
    assert code(e) == "InvalidChangeBatch" and "not permitted in zone example.com." in str(e.value)
    with pytest.raises(ClientError) as e:
        change(r53, zone, "CREATE", "bad.example.com", "A", ["not-an-address"])
    assert code(e) == "InvalidChangeBatch" and "ARRDATAIllegalIPv4Address" in str(e.value)
    with pytest.raises(ClientError) as e:
        change(r53, zone, "CREATE", "www.example.com", "CNAME", ["other.example.net"])
    assert code(e) == "InvalidChangeBatch" and "conflicting RRSet" in str(e.value)
    with pytest.raises(ClientError) as e:  # the apex must keep its NS records
        ns = [r for r in records(r53, zone) if r[1] == "NS"][0]
        change(r53, zone, "DELETE", ns[0], "NS", ns[2], ttl=172800)
    assert code(e) == "InvalidChangeBatch"
    with pytest.raises(ClientError) as e:  # alias records are not served
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
            "Action": "CREATE", "ResourceRecordSet": {"Name": "alias.example.com", "Type": "A", "AliasTarget": {
                "HostedZoneId": "Z26RNL4JYFTOTI", "DNSName": "nlb.example.net", "EvaluateTargetHealth": False}}}]})
    assert code(e) == "InvalidInput"
    # A batch is all or nothing: its second change fails, so its first did not happen.
    with pytest.raises(ClientError):
        r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [
            {"Action": "CREATE", "ResourceRecordSet": {"Name": "first.example.com", "Type": "A", "TTL": 60,
                                                       "ResourceRecords": [{"Value": "192.0.2.1"}]}},
            {"Action": "DELETE", "ResourceRecordSet": {"Name": "missing.example.com", "Type": "A", "TTL": 60,
                                                       "ResourceRecords": [{"Value": "192.0.2.1"}]}}]})
    assert "first.example.com." not in [n for n, _, _ in records(r53, zone)]
    # UPSERT replaces; DELETE with the current values removes.
    change(r53, zone, "UPSERT", "www.example.com", "A", ["192.0.2.46", "192.0.2.47"])
    assert ("www.example.com.", "A", ["192.0.2.46", "192.0.2.47"]) in records(r53, zone)
    change(r53, zone, "DELETE", "www.example.com", "A", ["192.0.2.46", "192.0.2.47"])
    assert [t for _, t, _ in records(r53, zone)] == ["NS", "SOA"]
    with pytest.raises(ClientError) as e:
        r53.get_change(Id="C0000000000000000000X")
    assert code(e) == "NoSuchChange"


def test_txt_records_and_listing_order(r53):
    zone = r53.create_hosted_zone(Name="example.com", CallerReference="t")["HostedZone"]["Id"]
    change(r53, zone, "CREATE", "_verify.example.com", "TXT", ['"vpce:AbCdE"'], ttl=1800)  # PDN-15
    change(r53, zone, "CREATE", "b.example.com", "A", ["192.0.2.2"])
    change(r53, zone, "CREATE", "a.b.example.com", "A", ["192.0.2.3"])
    change(r53, zone, "CREATE", "b.example.com", "TXT", ['"one" "two"'])
    # Names by their labels from the right (the apex first, a name before the names below it), then type.
    assert [(n, t) for n, t, _ in records(r53, zone)] == [
        ("example.com.", "NS"), ("example.com.", "SOA"), ("_verify.example.com.", "TXT"), ("b.example.com.", "A"),
        ("b.example.com.", "TXT"), ("a.b.example.com.", "A")]
    page = r53.list_resource_record_sets(HostedZoneId=zone, MaxItems="2")
    assert page["IsTruncated"] and (page["NextRecordName"], page["NextRecordType"]) == ("_verify.example.com.", "TXT")
    rest = records(r53, zone, StartRecordName=page["NextRecordName"], StartRecordType=page["NextRecordType"])
    assert [n for n, _, _ in rest][0] == "_verify.example.com." and len(rest) == 4
    # The record's value is kept as given (TXT: quoted strings).
    assert ("_verify.example.com.", "TXT", ['"vpce:AbCdE"']) in records(r53, zone)
    with pytest.raises(ClientError) as e:
        r53.delete_hosted_zone(Id=zone)
    assert code(e) == "HostedZoneNotEmpty"


def test_zones_are_the_accounts_own(r53, endpoint):
    r53.create_hosted_zone(Name="example.com", CallerReference="mine")
    other = make_client(endpoint, account="other", service="route53")
    assert other.list_hosted_zones()["HostedZones"] == []


def test_aws_cli(r53, endpoint):
    env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="")
    p = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", "route53", "create-hosted-zone",
                        "--name", "cli.example", "--caller-reference", "cli"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    zone = json.loads(p.stdout)["HostedZone"]["Id"]
    p = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", "route53", "list-resource-record-sets",
                        "--hosted-zone-id", zone], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert [r["Type"] for r in json.loads(p.stdout)["ResourceRecordSets"]] == ["NS", "SOA"]


def test_list_hosted_zones_by_name_pages(r53):
    # ListHostedZonesByName: zones in the order of their names from DNSName on, MaxItems a page,
    # NextDNSName and NextHostedZoneId where the next page starts.
    ids = {name: r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
           for name in ("c.example", "a.example", "b.example")}
    page = r53.list_hosted_zones_by_name(MaxItems="2")
    assert [z["Name"] for z in page["HostedZones"]] == ["a.example.", "b.example."]
    assert page["IsTruncated"] is True and page["NextDNSName"] == "c.example."
    assert ids["c.example"].endswith(page["NextHostedZoneId"])
    rest = r53.list_hosted_zones_by_name(DNSName=page["NextDNSName"], MaxItems="2")
    assert [z["Name"] for z in rest["HostedZones"]] == ["c.example."] and rest["IsTruncated"] is False
    change = r53.delete_hosted_zone(Id=ids["a.example"])["ChangeInfo"]
    assert change["Id"].startswith("/change/C") and change["Status"] == "INSYNC"
