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

  /** One version everywhere: the jar's {@code --version}, the chart, and so the image tag. */
  @Test
  void theJarTheChartAndTheImageTagHaveOneVersion() throws IOException {
    assumeTrue(Files.exists(PRODUCT), PRODUCT + " is built by the package phase (./mvnw verify)");
    String jarVersion;
    try (JarFile jar = new JarFile(PRODUCT.toFile())) {
      jarVersion = jar.getManifest().getMainAttributes().getValue("Implementation-Version");
    }
    String chart = Files.readString(Path.of("charts/nbsecrets/Chart.yaml"), StandardCharsets.UTF_8);
    assertThat(chart)
        .containsPattern("(?m)^version: " + java.util.regex.Pattern.quote(jarVersion) + "$")
        .containsPattern("(?m)^appVersion: \"" + java.util.regex.Pattern.quote(jarVersion) + "\"$");
    assertThat(jarVersion).doesNotContain("SNAPSHOT");
  }

  /** The chart's icon points into this repository at a PNG that is there. */
  @Test
  void theChartsIconIsAPngInTheRepository() throws IOException {
    String chart = Files.readString(Path.of("charts/nbsecrets/Chart.yaml"), StandardCharsets.UTF_8);
    var icon = java.util.regex.Pattern.compile("(?m)^icon: .*/main/(\\S+)$").matcher(chart);
    assertThat(icon.find()).as("icon in Chart.yaml").isTrue();
    byte[] png = Files.readAllBytes(Path.of(icon.group(1)));
    assertThat(java.util.Arrays.copyOf(png, 8))
        .isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
  }
}
