"""EC2 key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPair.

Rule ids (KP-n, FP-n) and scenarios (A1-A3) refer to §1 and §13 of
shared/spec/inventory-ec2-network-security.md.
"""
import base64
import datetime
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ed25519, rsa

from conftest import make_client
from helpers import assert_error, error_code, fast_waiter, tag_spec, tags


# ---------------------------------------------------------------- helpers

def colon_hex(digest):
    return ":".join(f"{b:02x}" for b in digest)


def created_fingerprint(private_pem):
    """FP-1: SHA-1 of the PKCS#8 DER of the private key AWS returned."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return colon_hex(hashlib.sha1(der).digest())


def imported_fingerprint(public_key):
    """FP-2: MD5 of the DER SubjectPublicKeyInfo."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return colon_hex(hashlib.md5(der).digest())


def openssh_line(public_key, comment="me@host"):
    return public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + \
        b" " + comment.encode()


def wire_blob(public_key):
    return base64.b64decode(openssh_line(public_key).split()[1])


def rfc4716(public_key):
    body = base64.b64encode(wire_blob(public_key)).decode()
    lines = [body[i:i + 70] for i in range(0, len(body), 70)]
    return ("---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"2048-bit RSA, converted from OpenSSH\"\n" +
            "\n".join(lines) + "\n---- END SSH2 PUBLIC KEY ----\n").encode()


def base64_der(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der)


def rsa_key(bits=2048):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()


def describe_key(ec2, name, **kwargs):
    return ec2.describe_key_pairs(KeyNames=[name], **kwargs)["KeyPairs"][0]


# ---------------------------------------------------------------- A1: create, duplicate, delete, recreate

def test_a1_create_fingerprint_duplicate_delete_recreate(ec2):
    k = ec2.create_key_pair(KeyName="k1")
    assert k["KeyName"] == "k1"
    assert k["KeyPairId"].startswith("key-")
    assert k["KeyMaterial"].startswith("-----BEGIN RSA PRIVATE KEY-----\n")  # PKCS#1, as AWS returns
    private = serialization.load_pem_private_key(k["KeyMaterial"].encode(), password=None)
    assert private.key_size == 2048  # KP-1
    fp = created_fingerprint(k["KeyMaterial"])
    assert k["KeyFingerprint"] == fp and len(fp) == 59
    d = describe_key(ec2, "k1")
    assert d["KeyFingerprint"] == fp
    assert d["KeyPairId"] == k["KeyPairId"]
    assert d["KeyType"] == "rsa"
    assert "PublicKey" not in d

    assert_error("InvalidKeyPair.Duplicate", ec2.create_key_pair, KeyName="k1")  # KP-7
    out = ec2.delete_key_pair(KeyName="k1")
    assert out["Return"] is True and out["KeyPairId"] == k["KeyPairId"]
    assert_error("InvalidKeyPair.NotFound", ec2.describe_key_pairs, KeyNames=["k1"])
    k2 = ec2.create_key_pair(KeyName="k1")
    assert k2["KeyPairId"] != k["KeyPairId"]


def test_create_time_is_now_in_utc(ec2):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    ec2.create_key_pair(KeyName="timed")
    created = describe_key(ec2, "timed")["CreateTime"]
    assert before <= created <= datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=5)


def test_include_public_key_is_openssh_with_key_name(ec2):  # KP-10
    k = ec2.create_key_pair(KeyName="withpub")
    d = describe_key(ec2, "withpub", IncludePublicKey=True)
    private = serialization.load_pem_private_key(k["KeyMaterial"].encode(), password=None)
    expected = private.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    assert d["PublicKey"] == expected.decode() + " withpub"


def test_ed25519_pem_is_openssh_format_and_fingerprint_is_sha256(ec2):
    k = ec2.create_key_pair(KeyName="ed", KeyType="ed25519")
    assert k["KeyMaterial"].startswith("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    private = serialization.load_ssh_private_key(k["KeyMaterial"].encode(), password=None)
    assert isinstance(private, ed25519.Ed25519PrivateKey)
    fp = base64.b64encode(hashlib.sha256(wire_blob(private.public_key())).digest()).decode()
    assert k["KeyFingerprint"] == fp
    d = describe_key(ec2, "ed", IncludePublicKey=True)
    assert d["KeyType"] == "ed25519" and d["KeyFingerprint"] == fp
    assert d["PublicKey"].startswith("ssh-ed25519 ")


@pytest.mark.parametrize("key_type,algorithm", [("rsa", "ssh-rsa"), ("ed25519", "ssh-ed25519")])
def test_ppk_output(ec2, key_type, algorithm):
    k = ec2.create_key_pair(KeyName=f"putty-{key_type}", KeyType=key_type, KeyFormat="ppk")
    assert k["KeyMaterial"].startswith("PuTTY-User-Key-File-")
    assert k["KeyMaterial"].startswith(f"PuTTY-User-Key-File-2: {algorithm}\nEncryption: none\n")
    assert "\nPrivate-MAC: " in k["KeyMaterial"]
    assert describe_key(ec2, f"putty-{key_type}")["KeyFingerprint"] == k["KeyFingerprint"]


def test_bad_key_type_refused(ec2):
    assert_error("InvalidParameterValue", ec2.create_key_pair, KeyName="x", KeyType="dsa")


# ---------------------------------------------------------------- A2, A3: import

def test_a2_three_formats_one_fingerprint(ec2):
    pub = rsa_key()
    want = imported_fingerprint(pub)
    for name, material in [("line", openssh_line(pub)), ("rfc", rfc4716(pub)), ("der", base64_der(pub))]:
        out = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=material)
        assert out["KeyFingerprint"] == want, name
        assert out["KeyName"] == name and out["KeyPairId"].startswith("key-")
    fps = {k["KeyName"]: k["KeyFingerprint"] for k in ec2.describe_key_pairs()["KeyPairs"]}
    assert fps == {"line": want, "rfc": want, "der": want}
    ssh_md5 = colon_hex(hashlib.md5(wire_blob(pub)).digest())  # ssh-keygen -l -E md5
    assert want != ssh_md5  # FP-4
    d = describe_key(ec2, "rfc", IncludePublicKey=True)
    assert d["PublicKey"] == openssh_line(pub, "rfc").decode()
    assert d["KeyType"] == "rsa"


def test_import_of_created_public_key_uses_md5(ec2):
    """FP-3: the entry path decides the algorithm, not where the key came from."""
    k = ec2.create_key_pair(KeyName="made")
    private = serialization.load_pem_private_key(k["KeyMaterial"].encode(), password=None)
    out = ec2.import_key_pair(KeyName="reimported", PublicKeyMaterial=openssh_line(private.public_key()))
    assert out["KeyFingerprint"] == imported_fingerprint(private.public_key())
    assert out["KeyFingerprint"] != k["KeyFingerprint"]


def test_a3_dsa_refused(ec2):  # KP-4
    pub = dsa.generate_private_key(key_size=1024).public_key()
    der = base64.b64encode(pub.public_bytes(serialization.Encoding.DER,
                                            serialization.PublicFormat.SubjectPublicKeyInfo))
    assert_error("InvalidKey.Format", ec2.import_key_pair, KeyName="dsa", PublicKeyMaterial=der)
    # ssh-dss in OpenSSH form, built by hand (the library no longer writes DSA keys).
    nums = pub.public_numbers()

    def mpint(n):
        b = n.to_bytes((n.bit_length() + 8) // 8, "big")
        return struct.pack(">I", len(b)) + b

    blob = struct.pack(">I", 7) + b"ssh-dss" + b"".join(
        mpint(x) for x in (nums.parameter_numbers.p, nums.parameter_numbers.q, nums.parameter_numbers.g, nums.y))
    line = b"ssh-dss " + base64.b64encode(blob) + b" old@host"
    assert_error("InvalidKey.Format", ec2.import_key_pair, KeyName="dsa", PublicKeyMaterial=line)
    assert ec2.describe_key_pairs()["KeyPairs"] == []


@pytest.mark.parametrize("bits", [1024, 4096])
def test_a3_rsa_sizes_accepted(ec2, bits):  # KP-5
    pub = rsa_key(bits)
    out = ec2.import_key_pair(KeyName=f"rsa{bits}", PublicKeyMaterial=openssh_line(pub))
    assert out["KeyFingerprint"] == imported_fingerprint(pub)


def test_a3_rsa_3072_refused(ec2):  # KP-5, strict reading
    assert_error("InvalidKey.Format", ec2.import_key_pair, KeyName="rsa3072",
                 PublicKeyMaterial=openssh_line(rsa_key(3072)))


def test_import_ed25519(ec2):
    pub = ed25519.Ed25519PrivateKey.generate().public_key()
    out = ec2.import_key_pair(KeyName="ed-imported", PublicKeyMaterial=openssh_line(pub))
    assert out["KeyFingerprint"] == base64.b64encode(hashlib.sha256(wire_blob(pub)).digest()).decode()
    assert describe_key(ec2, "ed-imported")["KeyType"] == "ed25519"


@pytest.mark.parametrize("material", [b"garbage", b"ssh-rsa AAAA", b"-----BEGIN PUBLIC KEY-----\nxx\n"])
def test_import_malformed(ec2, material):
    assert_error("InvalidKey.Format", ec2.import_key_pair, KeyName="bad", PublicKeyMaterial=material)


def test_import_duplicate_name(ec2):
    ec2.create_key_pair(KeyName="taken")
    assert_error("InvalidKeyPair.Duplicate", ec2.import_key_pair, KeyName="taken",
                 PublicKeyMaterial=openssh_line(rsa_key()))


def test_import_with_the_cli_fileb(aws_cli, tmp_path):
    """The aws CLI reads fileb:// as bytes; botocore base64-encodes the blob on the wire."""
    pub = rsa_key()
    path = tmp_path / "id_rsa.pub"
    path.write_bytes(openssh_line(pub) + b"\n")
    out = aws_cli("import-key-pair", "--key-name", "cli", "--public-key-material", f"fileb://{path}")
    assert out["KeyFingerprint"] == imported_fingerprint(pub)


# ---------------------------------------------------------------- names

def test_key_name_up_to_255_ascii(ec2):
    ec2.create_key_pair(KeyName="n" * 255)
    assert_error("InvalidParameterValue", ec2.create_key_pair, KeyName="n" * 256)
    assert_error("InvalidParameterValue", ec2.create_key_pair, KeyName=" padded")
    assert_error("InvalidParameterValue", ec2.create_key_pair, KeyName="caf\u00e9")
    ec2.create_key_pair(KeyName="my key/pair (1) & co.")
    assert describe_key(ec2, "my key/pair (1) & co.")["KeyName"] == "my key/pair (1) & co."


def test_names_are_per_region_and_account(ec2_factory):
    ec2_factory().create_key_pair(KeyName="shared")
    ec2_factory(region="eu-west-1").create_key_pair(KeyName="shared")
    ec2_factory(account="other").create_key_pair(KeyName="shared")
    assert_error("InvalidKeyPair.NotFound", ec2_factory(region="us-west-2").describe_key_pairs, KeyNames=["shared"])


# ---------------------------------------------------------------- describe

def test_describe_not_found(ec2):
    ec2.create_key_pair(KeyName="there")
    assert_error("InvalidKeyPair.NotFound", ec2.describe_key_pairs, KeyNames=["there", "missing"])
    assert_error("InvalidKeyPair.NotFound", ec2.describe_key_pairs, KeyPairIds=["key-0123456789abcdef0"])


def test_describe_by_ids_and_filters(ec2):
    a = ec2.create_key_pair(KeyName="alpha", TagSpecifications=tag_spec("key-pair", team="red"))
    b = ec2.create_key_pair(KeyName="beta", KeyType="ed25519", TagSpecifications=tag_spec("key-pair", team="blue"))
    ec2.import_key_pair(KeyName="gamma", PublicKeyMaterial=openssh_line(rsa_key()))

    def names(**kwargs):
        return sorted(k["KeyName"] for k in ec2.describe_key_pairs(**kwargs)["KeyPairs"])

    assert names() == ["alpha", "beta", "gamma"]
    assert names(KeyPairIds=[a["KeyPairId"], b["KeyPairId"]]) == ["alpha", "beta"]
    assert names(Filters=[{"Name": "key-pair-id", "Values": [b["KeyPairId"]]}]) == ["beta"]
    assert names(Filters=[{"Name": "key-name", "Values": ["*a"]}]) == ["alpha", "beta", "gamma"]
    assert names(Filters=[{"Name": "key-name", "Values": ["g*"]}]) == ["gamma"]
    assert names(Filters=[{"Name": "fingerprint", "Values": [a["KeyFingerprint"]]}]) == ["alpha"]
    assert names(Filters=[{"Name": "key-type", "Values": ["ed25519"]}]) == ["beta"]
    assert names(Filters=[{"Name": "tag:team", "Values": ["red"]}]) == ["alpha"]
    assert names(Filters=[{"Name": "tag-key", "Values": ["team"]}]) == ["alpha", "beta"]
    assert names(Filters=[{"Name": "tag-value", "Values": ["blue"]}]) == ["beta"]
    assert names(KeyNames=["alpha", "gamma"], Filters=[{"Name": "key-type", "Values": ["rsa"]}]) == ["alpha", "gamma"]
    assert_error("InvalidParameterValue", ec2.describe_key_pairs, Filters=[{"Name": "bogus", "Values": ["x"]}])


def test_key_pair_exists_waiter(ec2):
    ec2.create_key_pair(KeyName="waited")
    waiter, config = fast_waiter(ec2, "key_pair_exists")
    waiter.wait(KeyNames=["waited"], WaiterConfig=config)


# ---------------------------------------------------------------- tags

def test_tags_on_create_and_import(ec2):
    k = ec2.create_key_pair(KeyName="tagged", TagSpecifications=tag_spec("key-pair", Name="web", env="prod"))
    assert tags(k) == {"Name": "web", "env": "prod"}
    assert tags(describe_key(ec2, "tagged")) == {"Name": "web", "env": "prod"}
    i = ec2.import_key_pair(KeyName="itagged", PublicKeyMaterial=openssh_line(rsa_key()),
                            TagSpecifications=tag_spec("key-pair", env="dev"))
    assert tags(i) == {"env": "dev"}
    ec2.create_tags(Resources=[k["KeyPairId"]], Tags=[{"Key": "extra", "Value": "1"}])
    assert tags(describe_key(ec2, "tagged"))["extra"] == "1"
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [k["KeyPairId"]]}])["Tags"]
    assert {t["Key"] for t in described} == {"Name", "env", "extra"}
    assert {t["ResourceType"] for t in described} == {"key-pair"}


def test_tag_specification_for_another_type_refused(ec2):
    assert_error("InvalidParameterValue", ec2.create_key_pair, KeyName="x", TagSpecifications=tag_spec("vpc", a="b"))


# ---------------------------------------------------------------- delete

def test_delete_missing_name_succeeds(ec2):
    out = ec2.delete_key_pair(KeyName="never-was")
    assert out["Return"] is True
    assert "KeyPairId" not in out


def test_delete_by_id(ec2):
    k = ec2.create_key_pair(KeyName="byid")
    out = ec2.delete_key_pair(KeyPairId=k["KeyPairId"])
    assert out == {**out, "Return": True, "KeyPairId": k["KeyPairId"]}
    assert ec2.describe_key_pairs()["KeyPairs"] == []


def test_delete_needs_name_or_id(ec2):
    assert_error("MissingParameter", ec2.delete_key_pair)


def test_dry_run(ec2):
    assert error_code(ec2.create_key_pair, KeyName="dry", DryRun=True) == "DryRunOperation"
    assert ec2.describe_key_pairs()["KeyPairs"] == []


# ---------------------------------------------------------------- durability

def test_key_pairs_survive_restart(own_server):
    ec2 = make_client(own_server.endpoint)
    k = ec2.create_key_pair(KeyName="durable", TagSpecifications=tag_spec("key-pair", a="b"))
    own_server.restart()
    d = describe_key(ec2, "durable", IncludePublicKey=True)
    assert d["KeyPairId"] == k["KeyPairId"] and d["KeyFingerprint"] == k["KeyFingerprint"]
    assert tags(d) == {"a": "b"}
    ec2.delete_key_pair(KeyName="durable")
    own_server.restart()
    assert ec2.describe_key_pairs()["KeyPairs"] == []
