package io.nbsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.nbsecrets.crypto.Fernet;
import io.nbsecrets.init.SecretFiles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's class path: the init step's jar ({@code nbsecrets-init.jar}) first, the product jar
 * after it. The init jar holds only what the step needs, each class exactly as the product jar has
 * it; and the step, run as the image runs it (the secrets API answering over HTTP), loads no class
 * from the product jar, so its JVM never opens that jar's 28,000 entries.
 */
class InitJarTest {
  static final Path INIT = Path.of("src/cli/target/nbsecrets-init.jar");
  static final Path LIBRARY = Path.of("src/init/target/native/libnbsecrets-init.so");

  @Test
  void theInitJarHoldsTheStepsClassesExactlyAsTheProductJarDoes() throws IOException {
    assumeTrue(Files.exists(INIT), INIT + " is built by the package phase (./mvnw verify)");
    try (JarFile init = new JarFile(INIT.toFile());
        JarFile product = new JarFile(ProductJarTest.PRODUCT.toFile())) {
      List<String> names = init.stream().map(JarEntry::getName).toList();
      assertThat(names)
          .contains(
              "io/nbsecrets/cli/Main.class",
              "io/nbsecrets/cli/InitArgs.class",
              "io/nbsecrets/cli/InitCommand.class",
              "io/nbsecrets/init/SecretFiles.class",
              "io/nbsecrets/init/NativeFernet.class",
              "io/nbsecrets/init/UserKeyClient.class",
              "io/nbsecrets/init/NativeFiles.class",
              "io/nbsecrets/model/FlatJson.class",
              "io/nbsecrets/crypto/Fernet.class")
          .noneMatch(
              n ->
                  n.startsWith("io/nbsecrets/operator/")
                      || n.startsWith("com/fasterxml/")
                      || n.startsWith("io/fabric8/")
                      || n.startsWith("picocli/")
                      || n.startsWith("io/nbsecrets/cli/OperatorCommand")
                      || n.startsWith("META-INF/services/"));
      assertThat(names.size()).isLessThan(product.size() / 20);
      for (String name : names) {
        if (name.endsWith(".class")) {
          JarEntry same = product.getJarEntry(name);
          assertThat(same).as("%s in the product jar", name).isNotNull();
          assertThat(init.getInputStream(init.getJarEntry(name)).readAllBytes())
              .as(name)
              .isEqualTo(product.getInputStream(same).readAllBytes());
        }
      }
      for (String attribute : List.of("Main-Class", "Multi-Release", "Implementation-Version")) {
        assertThat(init.getManifest().getMainAttributes().getValue(new Attributes.Name(attribute)))
            .as(attribute)
            .isNotNull()
            .isEqualTo(
                product.getManifest().getMainAttributes().getValue(new Attributes.Name(attribute)));
      }
    }
  }

  @Test
  void theStepAsTheImageRunsItLoadsNothingFromTheProductJar(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(INIT), INIT + " is built by the package phase (./mvnw verify)");
    HttpServer api = sealedSessionAndApi(dir);
    try {
      List<String> command = podStep(dir, "init", api);
      command.add("--termination-log=" + dir.resolve("termination-log"));
      Process p =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("output.txt").toFile())
              .start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      String output = Files.readString(dir.resolve("output.txt"));
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(output).contains("wrote 2 secret files").doesNotContain("s3cr3t");
    } finally {
      api.stop(0);
    }
    assertThat(Files.readString(dir.resolve("files/token"))).isEqualTo("s3cr3t-1");
    assertThat(Files.readString(dir.resolve("files/db.txt"))).isEqualTo("s3cr3t-2");
    List<String> loaded = Files.readAllLines(dir.resolve("classes.txt"));
    String product = ProductJarTest.PRODUCT.toAbsolutePath().toString();
    assertThat(loaded).anyMatch(line -> line.contains("io.nbsecrets.init.SecretFiles"));
    assertThat(loaded)
        .as("classes loaded from the product jar")
        .noneMatch(l -> l.contains(product));
    // No lambda of the step's own on its way: each spins the JVM's method-handle machinery.
    assertThat(loaded)
        .as("lambda classes of the step's own")
        .noneMatch(l -> l.contains("] io.nbsecrets.") && l.contains("$$Lambda"));
  }

  /**
   * The refresh sidecar, which lives as long as its session, builds only its own command: no other
   * role's command class is loaded (with the whole command line, every role's was, and its options'
   * types with it), and it writes the session's files.
   */
  @Test
  void theRefreshSidecarLoadsOnlyWhatItNeeds(@TempDir Path dir) throws Exception {
    assumeTrue(Files.exists(INIT), INIT + " is built by the package phase (./mvnw verify)");
    HttpServer api = sealedSessionAndApi(dir);
    Process p = null;
    try {
      p =
          new ProcessBuilder(podStep(dir, "refresh", api))
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("output.txt").toFile())
              .start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(dir.resolve("output.txt")).contains("wrote 2 secret files")) {
        assertThat(p.isAlive()).as(Files.readString(dir.resolve("output.txt"))).isTrue();
        assertThat(System.nanoTime() - deadline).as("the sidecar's first pass").isNegative();
        Thread.sleep(100);
      }
    } finally {
      if (p != null) {
        p.destroy();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      }
      api.stop(0);
    }
    assertThat(Files.readString(dir.resolve("output.txt"))).doesNotContain("s3cr3t");
    assertThat(Files.readString(dir.resolve("files/token"))).isEqualTo("s3cr3t-1");
    assertThat(Files.readString(dir.resolve("files/db.txt"))).isEqualTo("s3cr3t-2");
    List<String> loaded = Files.readAllLines(dir.resolve("classes.txt"));
    assertThat(loaded).anyMatch(line -> line.contains("io.nbsecrets.cli.RefreshCommand "));
    for (String other :
        List.of("OperatorCommand", "ApiCommand", "RotateKeysCommand", "InitCommand")) {
      assertThat(loaded)
          .as("classes loaded by the refresh sidecar")
          .noneMatch(line -> line.contains("io.nbsecrets.cli." + other + " "));
    }
    assertThat(loaded).noneMatch(line -> line.contains("io.nbsecrets.cli.user."));
    // Its plain options are read without picocli, and nothing comes from the product jar.
    String product = ProductJarTest.PRODUCT.toAbsolutePath().toString();
    assertThat(loaded).noneMatch(line -> line.contains(" picocli."));
    assertThat(loaded)
        .as("lambda classes of the sidecar's own")
        .noneMatch(l -> l.contains("] io.nbsecrets.") && l.contains("$$Lambda"));
    assertThat(loaded)
        .as("classes loaded from the product jar")
        .noneMatch(l -> l.contains(product));
  }

  /**
   * A session's sealed files (two values under a user key) in {@code dir/sealed}, the pod's token
   * in {@code dir/pod-token}, and the secrets API's user-key endpoint answering that token.
   */
  private static HttpServer sealedSessionAndApi(Path dir) throws IOException {
    String key = Fernet.generateKey();
    Path sealed = Files.createDirectories(dir.resolve("sealed"));
    Files.writeString(
        sealed.resolve(SecretFiles.MANIFEST_FILE),
        "[{\"name\":\"TOKEN\",\"file\":\"token\"},{\"name\":\"DB\",\"file\":\"db.txt\"}]");
    Files.writeString(sealed.resolve("TOKEN"), Fernet.fromKey(key).encrypt(bytes("s3cr3t-1")));
    Files.writeString(sealed.resolve("DB"), Fernet.fromKey(key).encrypt(bytes("s3cr3t-2")));
    Files.writeString(dir.resolve("pod-token"), "a-pod-token");
    Files.createDirectories(dir.resolve("files"));
    HttpServer api =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    api.createContext(
        "/api/v1/init/user-key",
        exchange -> {
          boolean authorized =
              "Bearer a-pod-token".equals(exchange.getRequestHeaders().getFirst("Authorization"));
          byte[] body = bytes(authorized ? "{\"user\":\"alice\",\"key\":\"" + key + "\"}" : "{}");
          exchange.sendResponseHeaders(authorized ? 200 : 403, body.length);
          try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
          }
        });
    api.start();
    return api;
  }

  /**
   * A session pod's step ({@code init} or {@code refresh}) as the image runs it on Java 17: its
   * flags (operator/entrypoint.sh), the init jar first on the class path, the classes it loads
   * logged to {@code dir/classes.txt}.
   */
  private static List<String> podStep(Path dir, String role, HttpServer api) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xlog:class+load=info:file=" + dir.resolve("classes.txt"));
    command.add("-XX:TieredStopAtLevel=1");
    if (role.equals("init")) {
      command.add("-XX:+UseG1GC");
    }
    if (Files.exists(LIBRARY)) {
      command.add("-Dnbsecrets.init.native=" + LIBRARY.toAbsolutePath());
    }
    command.add("-cp");
    command.add(INIT.toAbsolutePath() + ":" + ProductJarTest.PRODUCT.toAbsolutePath());
    command.add("io.nbsecrets.cli.Main");
    command.addAll(
        List.of(
            role,
            "--api-url=http://127.0.0.1:" + api.getAddress().getPort(),
            "--allow-insecure-http",
            "--sealed-dir=" + dir.resolve("sealed"),
            "--token-file=" + dir.resolve("pod-token"),
            "--mount-path=" + dir.resolve("files")));
    return command;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
