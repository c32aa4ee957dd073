#!/usr/bin/env python3
"""References for `nbsecrets bench snapshot`, measured with Python's `cryptography` (OpenSSL).

For N secrets of C characters, the CPU (process time, median of runs after a warm-up) of:

  renku            RenkuLab's scheme as implemented: per secret, an RSA-4096 OAEP unwrap of the
                   secret's key, a PBKDF2-HMAC-SHA256 (480,000 iterations, salted with the user id)
                   to derive its Fernet key, and a Fernet decryption.
  openssl-rsa-4096 the primitives of nbs1 with a 4096-bit key: per secret, an RSA-4096 OAEP unwrap
                   and an AES-256-GCM decryption.
  openssl-<suite>  the primitives of nbs2 (suite mlkem768-x25519 or x25519): per secret, an HPKE
                   open of the data key and an AES-256-GCM decryption.

Each line: `reference: what=<name> secrets=N cpu_s=<seconds>`. Needs cryptography >= 48 (HPKE).
"""

import argparse
import base64
import os
import statistics
import time

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
USER = b"alice-user-id"


def value(chars):
    return base64.urlsafe_b64encode(os.urandom(chars))[:chars]


def renku_case(n, chars):
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    records = []
    for _ in range(n):
        secret_key = os.urandom(32)
        kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=USER, iterations=480_000)
        fernet = Fernet(base64.urlsafe_b64encode(kdf.derive(secret_key)))
        records.append((key.public_key().encrypt(secret_key, OAEP), fernet.encrypt(value(chars))))

    def run():
        for wrapped, token in records:
            secret_key = key.decrypt(wrapped, OAEP)
            kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=USER, iterations=480_000)
            Fernet(base64.urlsafe_b64encode(kdf.derive(secret_key))).decrypt(token)

    return run


def rsa_case(n, chars):
    key = rsa.generate_private_key(public_exponent=65537, key_size=4096)
    records = []
    for _ in range(n):
        data_key, nonce = os.urandom(32), os.urandom(12)
        records.append(
            (key.public_key().encrypt(data_key, OAEP), nonce, AESGCM(data_key).encrypt(nonce, value(chars), b"aad"))
        )

    def run():
        for wrapped, nonce, ciphertext in records:
            AESGCM(key.decrypt(wrapped, OAEP)).decrypt(nonce, ciphertext, b"aad")

    return run


def hpke_case(suite_name, n, chars):
    from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
    from cryptography.hazmat.primitives.hpke import AEAD, KDF, KEM, MLKEM768X25519PrivateKey, Suite

    if suite_name == "x25519":
        kem, key = KEM.X25519, x25519.X25519PrivateKey.generate()
    else:
        kem = KEM.MLKEM768_X25519
        key = MLKEM768X25519PrivateKey(mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate())
    suite = Suite(kem, KDF.HKDF_SHA256, AEAD.AES_256_GCM)
    records = []
    for _ in range(n):
        data_key, nonce = os.urandom(32), os.urandom(12)
        sealed = suite.encrypt(data_key, key.public_key(), info=b"info")
        records.append((sealed, nonce, AESGCM(data_key).encrypt(nonce, value(chars), b"aad")))

    def run():
        for sealed, nonce, ciphertext in records:
            AESGCM(suite.decrypt(sealed, key, info=b"info")).decrypt(nonce, ciphertext, b"aad")

    return run


def median_cpu(run, runs, warmup):
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(runs):
        start = time.process_time()
        run()
        samples.append(time.process_time() - start)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--secrets", type=int, default=50)
    parser.add_argument("--value-chars", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", help="one reference: renku, openssl-rsa-4096, openssl-x25519, ...")
    args = parser.parse_args()
    cases = {
        "renku": lambda: renku_case(args.secrets, args.value_chars),
        "openssl-rsa-4096": lambda: rsa_case(args.secrets, args.value_chars),
        "openssl-mlkem768-x25519": lambda: hpke_case("mlkem768-x25519", args.secrets, args.value_chars),
        "openssl-x25519": lambda: hpke_case("x25519", args.secrets, args.value_chars),
    }
    for name, make in cases.items():
        if args.only and name != args.only:
            continue
        # Renku's PBKDF2 makes one run take seconds: fewer runs, same median.
        runs, warmup = (min(args.runs, 3), min(args.warmup, 1)) if name == "renku" else (args.runs, args.warmup)
        cpu = median_cpu(make(), runs, warmup)
        print(f"reference: what={name} secrets={args.secrets} cpu_s={cpu:.4f}", flush=True)


if __name__ == "__main__":
    main()
