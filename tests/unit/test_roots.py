"""The shipped roots are the published certificates: each DER SHA-256 against its published value.

The published fingerprints below are copied from public sources, not computed from our PEMs:

- Microsoft Root Certificate Authority 2011: the DER SHA-256 the XMDE Client Analyzer's pinned chain
  ends in, as recorded in ``/work/shared/reference/mde-facts.md`` (December 2026 section) and in
  issue #13; Microsoft's PKI repository lists the same certificate by its SHA-1 thumbprint
  8F43288AD272F3103B6FB1428485EA3014C0BCFE (https://www.microsoft.com/pkiops/docs/repository.htm).
- Microsoft RSA/ECC Root Certificate Authority 2017, DigiCert Global Root G2/G3: the
  "SHA256 Fingerprint" lines of Mozilla's list as certifi 2026.10.19 cacert.pem prints them.
- DigiCert Global Root CA: DigiCert's published fingerprint, as Microsoft's Azure docs quote it
  ("openssl x509 -in DigiCertGlobalRootCA.crt.pem -noout -sha256 -fingerprint # should output
  43:48:A0:E9:...:01:61", MicrosoftDocs azure-docs, Cosmos DB for PostgreSQL "connect" page).
"""

import hashlib
import ssl

import pytest

from mdeprereq_engine import roots

PUBLISHED_SHA256 = {
    "Microsoft Root Certificate Authority 2011": (
        "84:7D:F6:A7:84:97:94:3F:27:FC:72:EB:93:F9:A6:37:32:0A:02:B5:61:D0:A9:1B:09:E8:7A:78:07:ED:7C:61"
    ),
    "Microsoft RSA Root Certificate Authority 2017": (
        "c7:41:f7:0f:4b:2a:8d:88:bf:2e:71:c1:41:22:ef:53:ef:10:eb:a0:cf:a5:e6:4c:fa:20:f4:18:85:30:73:e0"
    ),
    "Microsoft ECC Root Certificate Authority 2017": (
        "35:8d:f3:9d:76:4a:f9:e1:b7:66:e9:c9:72:df:35:2e:e1:5c:fa:c2:27:af:6a:d1:d7:0e:8e:4a:6e:dc:ba:02"
    ),
    "DigiCert Global Root G2": (
        "cb:3c:cb:b7:60:31:e5:e0:13:8f:8d:d3:9a:23:f9:de:47:ff:c3:5e:43:c1:14:4c:ea:27:d4:6a:5a:b1:cb:5f"
    ),
    "DigiCert Global Root G3": (
        "31:ad:66:48:f8:10:41:38:c7:38:f3:9e:a4:32:01:33:39:3e:3a:18:cc:02:29:6e:f9:7c:2a:c9:ef:67:31:d0"
    ),
    "DigiCert Global Root CA": (
        "43:48:A0:E9:44:4C:78:CB:26:5E:05:8D:5E:89:44:B4:D8:4F:96:62:BD:26:DB:25:7F:89:34:A4:43:C7:01:61"
    ),
}


def normalized(fingerprint):
    return fingerprint.replace(":", "").upper()


def test_exactly_the_six_roots_are_shipped():
    assert [root.name for root in roots.SHIPPED_ROOTS] == list(PUBLISHED_SHA256)


@pytest.mark.parametrize("root", roots.SHIPPED_ROOTS, ids=lambda root: root.name)
def test_shipped_root_is_the_published_certificate(root):
    der = ssl.PEM_cert_to_DER_cert(root.pem)
    computed = hashlib.sha256(der).hexdigest().upper()
    assert computed == normalized(PUBLISHED_SHA256[root.name])
    assert root.sha256 == computed


@pytest.mark.parametrize("root", roots.SHIPPED_ROOTS, ids=lambda root: root.name)
def test_shipped_root_is_a_self_signed_ca_named_as_listed(root):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=root.pem)
    (info,) = context.get_ca_certs()
    subject = dict(pair for rdn in info["subject"] for pair in rdn)
    issuer = dict(pair for rdn in info["issuer"] for pair in rdn)
    assert subject["commonName"] == root.name
    assert issuer == subject
    assert root.source


def test_bundle_loads_all_six():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=roots.shipped_bundle())
    assert len(context.get_ca_certs()) == len(PUBLISHED_SHA256)
