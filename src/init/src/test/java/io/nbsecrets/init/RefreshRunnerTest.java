package io.nbsecrets.init;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.nbsecrets.crypto.Fernet;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The refresh sidecar's pass: follows the mounted Secret's list, all or nothing per pass. */
class RefreshRunnerTest {
  @TempDir Path tmp;
  private HttpServer server;
  private final AtomicInteger keyRequests = new AtomicInteger();
  private volatile int status = 200;
  private final String key = Fernet.generateKey();
  private Path sealed;
  private Path files;
  private Path envFile;
  private RefreshRunner runner;

  @BeforeEach
  void setUp() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        UserKeyClient.PATH,
        ex -> {
          keyRequests.incrementAndGet();
          byte[] body =
              (status == 200
                      ? "{\"user\":\"alice\",\"key\":\"" + key + "\"}"
                      : "{\"error\":\"forbidden\",\"message\":\"no\"}")
                  .getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(status, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    sealed = Files.createDirectories(tmp.resolve("sealed"));
    files = Files.createDirectories(tmp.resolve("secrets"));
    envFile = Files.createDirectories(tmp.resolve("env")).resolve("env.sh");
    Path token = tmp.resolve("token");
    Files.writeString(token, "pod-token");
    runner =
        new RefreshRunner(
            new InitRunner.Options(
                "http://127.0.0.1:" + server.getAddress().getPort(),
                sealed,
                token,
                files,
                null,
                "r--------",
                ApiTrust.insecureHttpAllowed(),
                envFile));
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  /** The mounted Secret: a sealed value per secret and the list of files. */
  private void mount(String manifest, String... namesAndValues) throws Exception {
    for (int i = 0; i < namesAndValues.length; i += 2) {
      Files.writeString(
          sealed.resolve(namesAndValues[i]),
          Fernet.fromKey(key).encrypt(namesAndValues[i + 1].getBytes(StandardCharsets.UTF_8)));
    }
    Files.writeString(sealed.resolve(SecretFiles.MANIFEST_FILE), manifest);
  }

  private List<String> listFiles() throws Exception {
    try (Stream<Path> s = Files.list(files)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aPassRewritesOnlyWhenTheListChangedAndRemovesTheFilesOfDeletedSecrets() throws Exception {
    mount(
        "[{\"name\":\"A\",\"file\":\"a.txt\",\"version\":1,\"env\":\"A\"},"
            + "{\"name\":\"B\",\"file\":\"B\",\"version\":1}]",
        "A",
        "a-1",
        "B",
        "b-1");
    assertThat(runner.refreshIfChanged()).isEqualTo(new RefreshRunner.Outcome(true, 2, 0));
    assertThat(Files.readString(files.resolve("a.txt"))).isEqualTo("a-1");
    assertThat(Files.readString(envFile)).isEqualTo("export A='a-1'\n");
    assertThat(runner.refreshIfChanged().changed()).isFalse();
    assertThat(keyRequests).hasValue(1);

    mount("[{\"name\":\"A\",\"file\":\"a.txt\",\"version\":2,\"env\":\"A\"}]", "A", "a-2");
    assertThat(runner.refreshIfChanged()).isEqualTo(new RefreshRunner.Outcome(true, 1, 1));
    assertThat(listFiles()).containsExactly("a.txt");
    assertThat(Files.readString(files.resolve("a.txt"))).isEqualTo("a-2");
    assertThat(Files.readString(envFile)).isEqualTo("export A='a-2'\n");
    assertThat(keyRequests).hasValue(2);

    mount("[]");
    assertThat(runner.refreshIfChanged()).isEqualTo(new RefreshRunner.Outcome(true, 0, 1));
    assertThat(listFiles()).isEmpty();
    assertThat(Files.readString(envFile)).isEmpty();
  }

  @Test
  void aFailedPassChangesNoFileAndIsTriedAgain() throws Exception {
    mount("[{\"name\":\"A\",\"file\":\"A\",\"version\":1}]", "A", "a-1");
    runner.refreshIfChanged();
    mount(
        "[{\"name\":\"A\",\"file\":\"A\",\"version\":2},{\"name\":\"C\",\"file\":\"C\",\"version\":1}]",
        "A",
        "a-2",
        "C",
        "c-1");
    status = 403;
    assertThatThrownBy(runner::refreshIfChanged)
        .isInstanceOf(InitException.class)
        .hasMessageNotContaining("a-2");
    assertThat(listFiles()).containsExactly("A");
    assertThat(Files.readString(files.resolve("A"))).isEqualTo("a-1");

    status = 200;
    assertThat(runner.refreshIfChanged()).isEqualTo(new RefreshRunner.Outcome(true, 2, 0));
    assertThat(Files.readString(files.resolve("A"))).isEqualTo("a-2");
    assertThat(Files.readString(files.resolve("C"))).isEqualTo("c-1");
  }
}
