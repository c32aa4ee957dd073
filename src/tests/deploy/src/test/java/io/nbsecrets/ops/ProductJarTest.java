package io.nbsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;

/**
 * The image ships the product jar (module {@code src/cli}); the jar a newcomer runs at the root
 * adds the dev assembly. The product jar must hold no test fake: not the dev package, not the mock
 * API server, not the test support. (The build's enforcer rule keeps such dependencies out of the
 * product modules; this checks the jar that is actually built.)
 */
class ProductJarTest {
  static final Path PRODUCT = Path.of("src/cli/target/nbsecrets.jar");
  static final Path ASSEMBLY = Path.of("target/nbsecrets.jar");
  static final List<String> FAKES =
      List.of(
          "io/nbsecrets/dev/",
          "io/nbsecrets/testing/",
          "io/fabric8/mockwebserver/",
          "io/fabric8/kubernetes/client/server/mock/",
          "okhttp3/mockwebserver/");

  @Test
  void theImagesJarHoldsNoFakeAndTheDockerfileCopiesIt() throws IOException {
    assumeTrue(Files.exists(PRODUCT), PRODUCT + " is built by the package phase (./mvnw verify)");
    try (JarFile jar = new JarFile(PRODUCT.toFile())) {
      List<String> names = jar.stream().map(ZipEntry::getName).toList();
      assertThat(names)
          .contains("io/nbsecrets/cli/Main.class", "io/nbsecrets/operator/OperatorRunner.class")
          .noneMatch(name -> FAKES.stream().anyMatch(name::startsWith));
      assertThat(jar.getEntry("META-INF/services/io.nbsecrets.cli.PluggedCommand")).isNull();
    }
    String dockerfile = Files.readString(OpsFilesTest.DOCKERFILE, StandardCharsets.UTF_8);
    assertThat(dockerfile).contains("cp src/cli/target/nbsecrets.jar /nbsecrets.jar");
  }

  @Test
  void theNewcomersJarAddsTheDevCommand() throws IOException {
    assumeTrue(Files.exists(ASSEMBLY), ASSEMBLY + " is built by the package phase (./mvnw verify)");
    try (JarFile jar = new JarFile(ASSEMBLY.toFile())) {
      assertThat(jar.getEntry("io/nbsecrets/dev/DevCommand.class")).isNotNull();
      assertThat(
              new String(
                  jar.getInputStream(
                          jar.getEntry("META-INF/services/io.nbsecrets.cli.PluggedCommand"))
                      .readAllBytes(),
                  StandardCharsets.UTF_8))
          .contains("io.nbsecrets.dev.DevCommand");
    }
  }
}
