#!/usr/bin/env python3
"""Interop partner of nbsecrets' Java crypto (io.nbsecrets.crypto), built on the reference
`cryptography` library.

It implements the nbs1 record and nbuk1 wrapped-user-key formats independently, from
docs/security.md, and exposes Fernet and RSA-OAEP (SHA-256, MGF1-SHA-256).

Usage: nbs_interop.py <command>
Reads one JSON request on stdin, writes one JSON answer on stdout. Secrets travel only through
stdin/stdout, never argv. Binary values are standard base64 in JSON ("*_b64" fields).
An expected cryptographic refusal is answered with {"error": <kind>} and exit status 0;
anything else is a bug and exits non-zero with a traceback on stderr.
"""

import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


class Refused(Exception):
    """An expected refusal; its argument is the kind reported to the caller."""


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    return base64.b64decode(text, validate=True)


def b64u(data):
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text):
    """Strict, canonical base64url without padding."""
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    if not set(text) <= alphabet or len(text) % 4 == 1:
        raise Refused("malformed")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if b64u(data) != text:
        raise Refused("malformed")
    return data


def lp(*fields):
    """Length-prefixed: 4-byte big-endian UTF-8 length, then the UTF-8 bytes, for each field."""
    out = b""
    for field in fields:
        raw = field.encode("utf-8")
        out += struct.pack(">I", len(raw)) + raw
    return out


def rsa_key_id(public_key):
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "rsa-" + hashlib.sha256(spki).hexdigest()[:16]


def bind(owner, name):
    return b64u(hashlib.sha256(lp(owner, name)).digest())[:16]


def platform_key_bytes(encoded):
    raw = base64.urlsafe_b64decode(encoded)
    assert len(raw) == 32
    return raw


def platform_key_id(raw):
    return "pk-" + hashlib.sha256(b"nbsecrets platform key id" + raw).hexdigest()[:16]


def load_public(pem):
    return serialization.load_pem_public_key(pem.encode("ascii"))


def load_private(pem):
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


# --- commands -------------------------------------------------------------------------------


def fernet_encrypt(req):
    return {"token": Fernet(req["key"]).encrypt(unb64(req["plaintext_b64"])).decode("ascii")}


def fernet_decrypt(req):
    return {"plaintext_b64": b64(Fernet(req["key"]).decrypt(req["token"]))}


def rsa_generate(req):
    key = rsa.generate_private_key(public_exponent=65537, key_size=req["bits"])
    return {
        "private_pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
        "public_pem": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii"),
        "key_id": rsa_key_id(key.public_key()),
    }


def rsa_key_id_of(req):
    return {"key_id": rsa_key_id(load_public(req["public_pem"]))}


def rsa_wrap(req):
    return {"wrapped_b64": b64(load_public(req["public_pem"]).encrypt(unb64(req["data_b64"]), OAEP))}


def rsa_unwrap(req):
    try:
        return {"data_b64": b64(load_private(req["private_pem"]).decrypt(unb64(req["wrapped_b64"]), OAEP))}
    except ValueError:
        raise Refused("integrity")


def nbs1_seal(req):
    public_key = load_public(req["public_pem"])
    key_id = rsa_key_id(public_key)
    owner, name = req["owner"], req["name"]
    data_key = os.urandom(32)
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, unb64(req["inner_b64"]), lp("nbs1", key_id, owner, name))
    wrapped = public_key.encrypt(data_key, OAEP)
    record = ".".join(["nbs1", key_id, bind(owner, name), b64u(wrapped), b64u(nonce), b64u(ciphertext)])
    return {"record": record}


def nbs1_open(req):
    owner, name = req["owner"], req["name"]
    parts = req["record"].split(".")
    if len(parts) != 6 or parts[0] != "nbs1":
        raise Refused("malformed")
    version, key_id, binding, wrapped_text, nonce_text, ciphertext_text = parts
    wrapped, nonce, ciphertext = unb64u(wrapped_text), unb64u(nonce_text), unb64u(ciphertext_text)
    if binding != bind(owner, name):
        raise Refused("binding")
    private_key = load_private(req["private_pem"])
    if rsa_key_id(private_key.public_key()) != key_id:
        raise Refused("unknown-key")
    if len(wrapped) != private_key.key_size // 8 or len(nonce) != 12 or len(ciphertext) < 16:
        raise Refused("malformed")
    try:
        data_key = private_key.decrypt(wrapped, OAEP)
        inner = AESGCM(data_key).decrypt(nonce, ciphertext, lp(version, key_id, owner, name))
    except (ValueError, InvalidTag):
        raise Refused("integrity")
    return {"inner_b64": b64(inner)}


def nbuk1_wrap(req):
    raw = platform_key_bytes(req["platform_key"])
    key_id = platform_key_id(raw)
    nonce = os.urandom(12)
    ciphertext = AESGCM(raw).encrypt(nonce, req["user_key"].encode("utf-8"), lp("nbuk1", key_id, req["user"]))
    return {"wrapped": ".".join(["nbuk1", key_id, b64u(nonce), b64u(ciphertext)])}


def nbuk1_unwrap(req):
    parts = req["wrapped"].split(".")
    if len(parts) != 4 or parts[0] != "nbuk1":
        raise Refused("malformed")
    version, key_id, nonce_text, ciphertext_text = parts
    nonce, ciphertext = unb64u(nonce_text), unb64u(ciphertext_text)
    keys = {platform_key_id(raw): raw for raw in map(platform_key_bytes, req["platform_keys"])}
    if key_id not in keys:
        raise Refused("unknown-key")
    try:
        user_key = AESGCM(keys[key_id]).decrypt(nonce, ciphertext, lp(version, key_id, req["user"]))
    except InvalidTag:
        raise Refused("integrity")
    return {"user_key": user_key.decode("utf-8")}


def platform_key_id_of(req):
    return {"id": platform_key_id(platform_key_bytes(req["platform_key"]))}


# --- nbs2: HPKE (RFC 9180) base mode, HKDF-SHA256, AES-256-GCM; the KEM by suite -----------------

HPKE_SUITES = {
    # name: (key id prefix, encapsulated key size)
    "x25519": ("x2", 32),
    "mlkem768-x25519": ("xw", 1120),
}


def hpke_suite(name):
    from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, Suite

    kem = {"x25519": KEM.X25519, "mlkem768-x25519": KEM.MLKEM768_X25519}[name]
    return Suite(kem, KDF.HKDF_SHA256, AEAD.AES_256_GCM)


def xwing_keys(seed):
    """The X-Wing private key of a 32-byte seed: SHAKE256(seed, 96) = ML-KEM-768 seed || X25519."""
    from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

    digest = hashes.Hash(hashes.SHAKE256(96))
    digest.update(seed)
    expanded = digest.finalize()
    return (
        mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64]),
        x25519.X25519PrivateKey.from_private_bytes(expanded[64:]),
    )


def hpke_private(name, raw):
    from cryptography.hazmat.primitives.asymmetric import x25519
    from cryptography.hazmat.primitives.hpke import MLKEM768X25519PrivateKey

    if name == "x25519":
        return x25519.X25519PrivateKey.from_private_bytes(raw)
    return MLKEM768X25519PrivateKey(*xwing_keys(raw))


def hpke_public_bytes(name, raw_private):
    if name == "x25519":
        return hpke_private(name, raw_private).public_key().public_bytes_raw()
    m, x = xwing_keys(raw_private)
    return m.public_key().public_bytes_raw() + x.public_key().public_bytes_raw()


def hpke_public(name, raw):
    from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
    from cryptography.hazmat.primitives.hpke import MLKEM768X25519PublicKey

    if name == "x25519":
        return x25519.X25519PublicKey.from_public_bytes(raw)
    return MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:1184]),
        x25519.X25519PublicKey.from_public_bytes(raw[1184:]),
    )


def pem_raw(text, label):
    """The raw key under nbsecrets' HPKE PEM label (the keys Secret's and ConfigMap's form)."""
    begin, end = "-----BEGIN " + label + "-----", "-----END " + label + "-----"
    if begin not in text or end not in text:
        raise Refused("malformed")
    return base64.b64decode("".join(text.split(begin, 1)[1].split(end, 1)[0].split()))


def hpke_key_id(name, public):
    prefix = HPKE_SUITES[name][0]
    return prefix + "-" + hashlib.sha256(lp("nbsecrets hpke key id", name) + public).hexdigest()[:16]


def hpke_generate(req):
    name = req["suite"]
    raw = os.urandom(32)
    if name == "x25519":
        from cryptography.hazmat.primitives.asymmetric import x25519

        raw = x25519.X25519PrivateKey.generate().private_bytes_raw()
    public = hpke_public_bytes(name, raw)
    return {"private_b64": b64(raw), "public_b64": b64(public), "key_id": hpke_key_id(name, public)}


def nbs2_seal(req):
    """HPKE seals a fresh data key; AES-256-GCM encrypts the value under it (see HpkeEnvelope)."""
    name = req["suite"]
    if "public_pem" in req:
        public = pem_raw(req["public_pem"], "HPKE " + name.upper() + " PUBLIC KEY")
    else:
        public = unb64(req["public_b64"])
    key_id = hpke_key_id(name, public)
    owner, secret = req["owner"], req["name"]
    context = lp("nbs2", key_id, owner, secret)
    data_key = os.urandom(32)
    sealed = hpke_suite(name).encrypt(data_key, hpke_public(name, public), info=context)
    enc_size = HPKE_SUITES[name][1]
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, unb64(req["inner_b64"]), context)
    record = ".".join(
        ["nbs2", key_id, bind(owner, secret), b64u(sealed[:enc_size]), b64u(sealed[enc_size:]),
         b64u(nonce), b64u(ciphertext)]
    )
    return {"record": record}


def nbs2_open(req):
    name = req["suite"]
    owner, secret = req["owner"], req["name"]
    parts = req["record"].split(".")
    if len(parts) != 7 or parts[0] != "nbs2":
        raise Refused("malformed")
    version, key_id, binding, enc_text, sealed_text, nonce_text, ciphertext_text = parts
    enc, sealed_key = unb64u(enc_text), unb64u(sealed_text)
    nonce, ciphertext = unb64u(nonce_text), unb64u(ciphertext_text)
    if binding != bind(owner, secret):
        raise Refused("binding")
    if "private_pem" in req:
        raw = pem_raw(req["private_pem"], "HPKE " + name.upper() + " PRIVATE KEY")
    else:
        raw = unb64(req["private_b64"])
    if hpke_key_id(name, hpke_public_bytes(name, raw)) != key_id:
        raise Refused("unknown-key")
    if len(enc) != HPKE_SUITES[name][1] or len(sealed_key) != 48 or len(nonce) != 12 \
            or len(ciphertext) < 16:
        raise Refused("malformed")
    context = lp(version, key_id, owner, secret)
    try:
        data_key = hpke_suite(name).decrypt(enc + sealed_key, hpke_private(name, raw), info=context)
        inner = AESGCM(data_key).decrypt(nonce, ciphertext, context)
    except (ValueError, InvalidTag):
        raise Refused("integrity")
    return {"inner_b64": b64(inner)}


COMMANDS = {
    "hpke-generate": hpke_generate,
    "nbs2-seal": nbs2_seal,
    "nbs2-open": nbs2_open,
    "fernet-encrypt": fernet_encrypt,
    "fernet-decrypt": fernet_decrypt,
    "rsa-generate": rsa_generate,
    "rsa-key-id": rsa_key_id_of,
    "rsa-wrap": rsa_wrap,
    "rsa-unwrap": rsa_unwrap,
    "nbs1-seal": nbs1_seal,
    "nbs1-open": nbs1_open,
    "nbuk1-wrap": nbuk1_wrap,
    "nbuk1-unwrap": nbuk1_unwrap,
    "platform-key-id": platform_key_id_of,
}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.exit("usage: nbs_interop.py {" + ",".join(sorted(COMMANDS)) + "} < request.json")
    request = json.load(sys.stdin)
    try:
        answer = COMMANDS[sys.argv[1]](request)
    except Refused as refusal:
        answer = {"error": refusal.args[0]}
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
