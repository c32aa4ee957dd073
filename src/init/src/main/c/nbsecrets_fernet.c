/*
 * The init step's inner layer through OpenSSL's libcrypto: the HMAC-SHA256 check and the
 * AES-128-CBC decryption of one Fernet token, for io.nbsecrets.init.NativeFernet.
 *
 * It takes a token as its file holds it: canonical URL-safe base64 of a well-formed token (at
 * least 57 bytes, version 0x80, whole cipher blocks). Anything else is handed back to Java
 * (NBS_INVALID_INPUT), whose own Fernet then names the problem. The plaintext is decrypted into a
 * native buffer and handed back as a new Java array of its exact length; the buffer and every key
 * copy are cleansed before they are freed (libcrypto clears its own context when it frees it). The
 * Java caller so has nothing to copy or wipe: zeroing a spare array in a cold JVM's interpreter
 * cost more than libcrypto's whole work on the token (docs/benchmarks.md).
 *
 * Built by src/init/pom.xml (profile native, where OpenSSL's headers are) into
 * src/init/target/native/libnbsecrets-init.so with nbsecrets_files.c (the step's file writes),
 * and tested there by NativeFernetTest and NativeFilesTest. The same tests under AddressSanitizer
 * and UBSan, from the root after a build:
 *
 *   J=$(dirname $(dirname $(readlink -f $(command -v javac))))
 *   gcc -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -std=c11 -fPIC -shared \
 *     -I$J/include -I$J/include/linux -o src/init/target/native/libnbsecrets-init.so \
 *     src/init/src/main/c/nbsecrets_fernet.c src/init/src/main/c/nbsecrets_files.c -lcrypto
 *   LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)" \
 *     ASAN_OPTIONS=detect_leaks=0:handle_segv=0:allow_user_segv_handler=1:halt_on_error=1 \
 *     ./mvnw -B -o surefire:test -pl src/init -Dtest='NativeFernetTest,NativeFilesTest,SecretFilesTest'
 */
#include <jni.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#define KEY_BYTES 32
#define HALF_KEY_BYTES 16
#define HEADER_BYTES 25 /* version (1), timestamp (8), IV (16) */
#define IV_OFFSET 9
#define BLOCK_BYTES 16
#define HMAC_BYTES 32

/* Return values, mirrored in NativeFernet. */
#define NBS_HMAC_MISMATCH (-1)
#define NBS_BAD_PADDING (-2)
#define NBS_INVALID_INPUT (-3)
#define NBS_LIBCRYPTO_FAILED (-4)

/* A token's structure, as the JDK's Fernet checks it: 1 when it may be opened. */
static int well_formed(const unsigned char *token, size_t token_length) {
  return token_length >= HEADER_BYTES + BLOCK_BYTES + HMAC_BYTES && token[0] == 0x80
      && (token_length - HEADER_BYTES - HMAC_BYTES) % BLOCK_BYTES == 0;
}

/*
 * Checks the HMAC of a well-formed token, then decrypts it into out, which holds at least the
 * ciphertext's length plus one block (what EVP_DecryptUpdate may write). The plaintext's length,
 * or one of the codes above; out holds nothing of a plaintext whose padding is wrong.
 */
static long open_token(const unsigned char *key, const unsigned char *token, size_t token_length,
                       unsigned char *out) {
  size_t ciphertext_length = token_length - HEADER_BYTES - HMAC_BYTES;
  if (!well_formed(token, token_length) || ciphertext_length > 0x7fffff00) {
    return NBS_INVALID_INPUT;
  }
  size_t mac_offset = token_length - HMAC_BYTES;
  unsigned char mac[HMAC_BYTES];
  unsigned int mac_length = 0;
  if (HMAC(EVP_sha256(), key, HALF_KEY_BYTES, token, mac_offset, mac, &mac_length) == NULL
      || mac_length != HMAC_BYTES) {
    OPENSSL_cleanse(mac, sizeof mac);
    return NBS_LIBCRYPTO_FAILED;
  }
  int authentic = CRYPTO_memcmp(mac, token + mac_offset, HMAC_BYTES) == 0;
  OPENSSL_cleanse(mac, sizeof mac);
  if (!authentic) {
    return NBS_HMAC_MISMATCH;
  }
  long result = NBS_LIBCRYPTO_FAILED;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  int updated = 0, finished = 0;
  if (ctx != NULL
      && EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key + HALF_KEY_BYTES, token + IV_OFFSET) == 1
      && EVP_DecryptUpdate(ctx, out, &updated, token + HEADER_BYTES, (int)ciphertext_length) == 1) {
    if (EVP_DecryptFinal_ex(ctx, out + updated, &finished) == 1) {
      result = (long)updated + finished;
    } else {
      /* Nothing of a plaintext whose padding is wrong is handed back. */
      OPENSSL_cleanse(out, ciphertext_length + BLOCK_BYTES);
      result = NBS_BAD_PADDING;
    }
  }
  EVP_CIPHER_CTX_free(ctx);
  return result;
}

/* A base64url digit's value, or -1. */
static int digit(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

/*
 * Decodes the canonical URL-safe base64 that Fernet writes (groups of four digits, the last one
 * padded with '=' as needed), after trimming bytes up to 0x20 at both ends as String.trim does.
 * The decoded length, or -1 for anything else: the caller then takes the JDK's way, which names
 * the exact problem.
 */
static long decode_canonical(const unsigned char *text, size_t length, unsigned char *out) {
  size_t start = 0, end = length;
  while (start < end && text[start] <= 0x20) start++;
  while (end > start && text[end - 1] <= 0x20) end--;
  size_t n = end - start;
  if (n == 0 || n % 4 != 0) return -1;
  const unsigned char *in = text + start;
  size_t padding = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
  size_t written = 0;
  for (size_t i = 0; i < n; i += 4) {
    int last = i + 4 == n;
    int a = digit(in[i]), b = digit(in[i + 1]);
    int c = last && padding == 2 ? 0 : digit(in[i + 2]);
    int d = last && padding >= 1 ? 0 : digit(in[i + 3]);
    if (a < 0 || b < 0 || c < 0 || d < 0) return -1;
    unsigned long group = ((unsigned long)a << 18) | ((unsigned long)b << 12) | ((unsigned long)c << 6) | (unsigned long)d;
    out[written++] = (unsigned char)(group >> 16);
    if (!(last && padding == 2)) out[written++] = (unsigned char)(group >> 8);
    if (!(last && padding >= 1)) out[written++] = (unsigned char)group;
  }
  return (long)written;
}

/* The 32-byte key from Java, or 0 when it is not one. */
static int read_key(JNIEnv *env, jbyteArray jkey, unsigned char *key) {
  if (jkey == NULL || (*env)->GetArrayLength(env, jkey) != KEY_BYTES) return 0;
  (*env)->GetByteArrayRegion(env, jkey, 0, KEY_BYTES, (jbyte *)key);
  return !(*env)->ExceptionCheck(env);
}

/*
 * openText1(key[32], text, status[1]) (the ninth stop's openText0 wrote into a Java array; a
 * library of that time does not link under this name, and the step then takes the JDK's way): a token as the file holds it (canonical URL-safe base64,
 * maybe with surrounding whitespace) opened into a new array of the plaintext's length; or null,
 * with status[0] set to one of the codes above (NBS_INVALID_INPUT also for a text that is not
 * canonical or a token that is not well formed: the caller then takes the JDK's way).
 */
JNIEXPORT jbyteArray JNICALL Java_io_nbsecrets_init_NativeFernet_openText1(
    JNIEnv *env, jclass cls, jbyteArray jkey, jbyteArray jtext, jintArray jstatus) {
  (void)cls;
  unsigned char key[KEY_BYTES];
  jint status = NBS_INVALID_INPUT;
  jbyteArray result = NULL;
  if (jtext == NULL || jstatus == NULL || (*env)->GetArrayLength(env, jstatus) < 1
      || !read_key(env, jkey, key)) {
    OPENSSL_cleanse(key, sizeof key);
    if (jstatus != NULL && (*env)->GetArrayLength(env, jstatus) >= 1) {
      (*env)->SetIntArrayRegion(env, jstatus, 0, 1, &status);
    }
    return NULL;
  }
  size_t text_length = (size_t)(*env)->GetArrayLength(env, jtext);
  size_t capacity = text_length / 4 * 3 + 3;
  /* The decoded token is ciphertext, not a secret: freed without clearing. The plaintext buffer
     is cleansed whatever happens. */
  unsigned char *token = malloc(capacity);
  unsigned char *plain = malloc(capacity + BLOCK_BYTES);
  if (token == NULL || plain == NULL) {
    status = NBS_LIBCRYPTO_FAILED;
  } else {
    unsigned char *text = (*env)->GetPrimitiveArrayCritical(env, jtext, NULL);
    long token_length = text == NULL ? -1 : decode_canonical(text, text_length, token);
    if (text != NULL) {
      (*env)->ReleasePrimitiveArrayCritical(env, jtext, text, JNI_ABORT);
    } else {
      (*env)->ExceptionClear(env); /* out of memory: the JDK's way reports it */
    }
    long opened = token_length < 0 ? NBS_INVALID_INPUT
                                   : open_token(key, token, (size_t)token_length, plain);
    if (opened >= 0) {
      result = (*env)->NewByteArray(env, (jsize)opened);
      if (result != NULL) {
        (*env)->SetByteArrayRegion(env, result, 0, (jsize)opened, (const jbyte *)plain);
        status = 0;
      } else {
        (*env)->ExceptionClear(env); /* out of memory: the JDK's way reports it */
        status = NBS_LIBCRYPTO_FAILED;
      }
    } else {
      status = (jint)opened;
    }
    OPENSSL_cleanse(plain, capacity + BLOCK_BYTES);
  }
  free(token);
  free(plain);
  OPENSSL_cleanse(key, sizeof key);
  (*env)->SetIntArrayRegion(env, jstatus, 0, 1, &status);
  return result;
}
