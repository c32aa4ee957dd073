package io.nbsecrets.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code interop/nbs_interop.py} (Python's {@code cryptography}, the reference) as a
 * subprocess. Requests go to its stdin and answers come from its stdout as JSON, so secrets never
 * appear in a command line; its stderr is captured into a file and reported on failure.
 */
final class PythonInterop {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long TIMEOUT_SECONDS = 120;

  private PythonInterop() {}

  /** Why the interop tests cannot run here (python3 or cryptography missing), if so. */
  static Optional<String> unavailability() {
    try {
      Path stderr = Files.createTempFile("nbs-interop-probe", ".err");
      try {
        Process process =
            new ProcessBuilder(
                    "python3",
                    "-c",
                    "import cryptography.fernet, cryptography.hazmat.primitives.ciphers.aead,"
                        + " cryptography.hazmat.primitives.hpke")
                .redirectErrorStream(false)
                .redirectError(stderr.toFile())
                .start();
        process.getOutputStream().close();
        process.getInputStream().readAllBytes();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return Optional.of("python3 did not answer");
        }
        if (process.exitValue() != 0) {
          return Optional.of(
              "python3 cannot import cryptography: " + Files.readString(stderr).strip());
        }
        return Optional.empty();
      } finally {
        Files.deleteIfExists(stderr);
      }
    } catch (IOException e) {
      return Optional.of("cannot run python3: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
  }

  /** Runs {@code command} with {@code request} on stdin; fails the test unless it exits with 0. */
  static JsonNode call(String command, Map<String, ?> request) {
    try {
      Path stderr = Files.createTempFile("nbs-interop", ".err");
      try {
        ProcessBuilder builder = new ProcessBuilder("python3", script().toString(), command);
        builder.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        builder.redirectError(stderr.toFile());
        Process process = builder.start();
        try (OutputStream stdin = process.getOutputStream()) {
          stdin.write(JSON.writeValueAsBytes(request));
        }
        byte[] stdout = process.getInputStream().readAllBytes();
        if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          fail("nbs_interop.py " + command + " timed out");
        }
        if (process.exitValue() != 0) {
          fail(
              "nbs_interop.py "
                  + command
                  + " exited with "
                  + process.exitValue()
                  + ":\n"
                  + Files.readString(stderr));
        }
        JsonNode answer = JSON.readTree(new String(stdout, StandardCharsets.UTF_8));
        assertThat(answer).as("answer of %s", command).isNotNull();
        return answer;
      } finally {
        Files.deleteIfExists(stderr);
      }
    } catch (IOException e) {
      throw new AssertionError("running nbs_interop.py " + command + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static Path script() {
    URL url = PythonInterop.class.getResource("/interop/nbs_interop.py");
    assertThat(url).as("interop/nbs_interop.py on the test class path").isNotNull();
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new AssertionError(e);
    }
  }
}
