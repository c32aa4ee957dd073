/*
 * The init step's file writes, for io.nbsecrets.init.NativeFiles: one temporary file created new
 * (O_EXCL: never through a link, never over a file left by someone else), written, given its
 * final mode on the same descriptor, closed and renamed over the secret's file. Five system calls;
 * the JDK's NIO makes the same ones, but a JVM that lives a tenth of a second runs its code in the
 * interpreter, at several times their cost per file (docs/benchmarks.md).
 *
 * Any failure removes the temporary file if this call created it and returns -1: the caller then
 * writes the file with the JDK, which either succeeds or says why it cannot. The plaintext is read
 * from the Java array itself, pinned while it is written: no copy is made in native memory.
 *
 * Built with nbsecrets_fernet.c into one library (src/init/pom.xml, profile native).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <jni.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PATH_BYTES 4096

/* The path in the Java array jpath (no NUL in it) as a C string to free, or NULL. */
static char *path_of(JNIEnv *env, jbyteArray jpath) {
  if (jpath == NULL) return NULL;
  jsize length = (*env)->GetArrayLength(env, jpath);
  if (length <= 0 || length >= MAX_PATH_BYTES) return NULL;
  char *path = malloc((size_t)length + 1);
  if (path == NULL) return NULL;
  (*env)->GetByteArrayRegion(env, jpath, 0, length, (jbyte *)path);
  path[length] = '\0';
  if ((*env)->ExceptionCheck(env) || memchr(path, '\0', (size_t)length) != NULL) {
    free(path);
    return NULL;
  }
  return path;
}

/* Writes all of data to fd: 1, or 0. */
static int write_all(int fd, const unsigned char *data, size_t length) {
  size_t done = 0;
  while (done < length) {
    ssize_t n = write(fd, data + done, length - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;
    done += (size_t)n;
  }
  return 1;
}

/*
 * writeNew0(tmp, out, value, mode): value written to the new file tmp, its mode set to mode (the
 * umask does not apply to fchmod), tmp renamed to out. 0, or -1 after removing tmp if this call
 * created it (a tmp that was already there is left for the caller).
 */
JNIEXPORT jint JNICALL Java_io_nbsecrets_init_NativeFiles_writeNew0(
    JNIEnv *env, jclass cls, jbyteArray jtmp, jbyteArray jout, jbyteArray jvalue, jint mode) {
  (void)cls;
  if (jvalue == NULL || (mode & ~0777) != 0) return -1;
  char *tmp = path_of(env, jtmp);
  char *out = path_of(env, jout);
  int result = -1;
  if (tmp != NULL && out != NULL) {
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd >= 0) {
      jsize length = (*env)->GetArrayLength(env, jvalue);
      unsigned char *value = (*env)->GetPrimitiveArrayCritical(env, jvalue, NULL);
      int done = value != NULL && write_all(fd, value, (size_t)length);
      if (value != NULL) {
        (*env)->ReleasePrimitiveArrayCritical(env, jvalue, value, JNI_ABORT);
      } else {
        (*env)->ExceptionClear(env); /* out of memory: the JDK's way reports it */
      }
      done = done && fchmod(fd, (mode_t)mode) == 0;
      done = close(fd) == 0 && done;
      if (done && rename(tmp, out) == 0) {
        result = 0;
      } else {
        unlink(tmp);
      }
    }
  }
  free(tmp);
  free(out);
  return result;
}
