package io.nbsecrets.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Static checks of the files that only run where Docker, kind or Argo CD run (the image build, the
 * kind script, the Argo CD documents): what can be checked without them is checked here.
 */
class OpsFilesTest {
  static final Path DOCKERFILE = Path.of("operator/Dockerfile");
  static final Path RUN_SH = Path.of("e2e/kind/run.sh");
  static final Path CRD = Path.of("crds/notebooksessions.nbsecrets.io-v1.yml");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void imageRunsTheOneJarAsANonRootUserWithTheArchiveItWasTrainedFor() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
    // The runtime user is numeric and not root.
    Matcher user = Pattern.compile("(?m)^USER (\\d+)(?::(\\d+))?$").matcher(dockerfile);
    assertThat(user.find()).as("USER with a numeric id").isTrue();
    assertThat(Integer.parseInt(user.group(1))).isEqualTo(65532);

    Matcher entry = Pattern.compile("(?ms)^ENTRYPOINT (\\[.*?\\])$").matcher(dockerfile);
    assertThat(entry.find()).as("ENTRYPOINT in exec form").isTrue();
    List<String> args = new ArrayList<>();
    new ObjectMapper()
        .readTree(entry.group(1).replace("\\\n", "\n"))
        .forEach(n -> args.add(n.asText()));
    assertThat(args.get(0)).isEqualTo("java");
    // The init step's jar first, then the product jar (which holds every class, those too).
    assertThat(args.subList(args.size() - 3, args.size()))
        .containsExactly(
            "-cp",
            "/opt/nbsecrets/nbsecrets-init.jar:/opt/nbsecrets/nbsecrets.jar",
            "io.nbsecrets.cli.Main");
    assertThat(args)
        .contains(
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-UsePerfData",
            "-XX:SharedArchiveFile=/opt/nbsecrets/nbsecrets.jsa")
        .anyMatch(a -> a.startsWith("-XX:MaxRAMPercentage="));
    // JVM warnings to stderr only: without -Xlog:disable first they also go to stdout.
    assertThat(args.indexOf("-Xlog:disable"))
        .isNotNegative()
        .isLessThan(args.indexOf("-Xlog:all=warning:stderr"));

    // The archive is created at the path the ENTRYPOINT uses, from the same jar path, with the
    // same heap-sizing flag (compressed oops must match for the archive to map), and checked.
    assertThat(dockerfile)
        .contains("-XX:ArchiveClassesAtExit=/opt/nbsecrets/nbsecrets.jsa")
        .contains(
            "-cp /opt/nbsecrets/nbsecrets-init.jar:/opt/nbsecrets/nbsecrets.jar"
                + " io.nbsecrets.cli.Main init")
        .contains("-Xshare:on -XX:SharedArchiveFile=/opt/nbsecrets/nbsecrets.jsa");
    String maxRam =
        args.stream().filter(a -> a.startsWith("-XX:MaxRAMPercentage=")).findFirst().orElseThrow();
    assertThat(dockerfile.split(Pattern.quote(maxRam), -1)).hasSize(3);
    // The init step's libcrypto library: copied where the ENTRYPOINT's property names it, and
    // loaded by the training run, whose log fails the build when the step would use the JDK's.
    assertThat(args)
        .contains(
            "--enable-native-access=ALL-UNNAMED",
            "-Dnbsecrets.init.native=/opt/nbsecrets/libnbsecrets-fernet.so");
    assertThat(dockerfile)
        .contains("cp src/init/target/native/libnbsecrets-fernet.so /libnbsecrets-fernet.so")
        .contains(
            "COPY --from=build --chmod=0444 /libnbsecrets-fernet.so"
                + " /opt/nbsecrets/libnbsecrets-fernet.so")
        .contains("grep -q 'not libcrypto' /tmp/cds/training.log");
    assertThat(dockerfile.split(Pattern.quote("-Dnbsecrets.init.native="), -1)).hasSize(3);
    // Built with the wrapper, the documented command.
    assertThat(dockerfile).contains("./mvnw -B -q package -DskipTests");
    assertThat(Path.of("operator/Dockerfile.dockerignore")).exists();
  }

  @Test
  void kindScriptIsStrictAndShellcheckClean() throws Exception {
    String script = Files.readString(RUN_SH, StandardCharsets.UTF_8);
    assertThat(script).startsWith("#!/usr/bin/env bash\n").contains("\nset -euo pipefail\n");
    assertThat(script)
        .contains("trap cleanup EXIT")
        .contains("svc/nbsecrets-api")
        .contains("charts/nbsecrets")
        .contains("operator/Dockerfile");
    assertThat(Files.isExecutable(RUN_SH)).as("run.sh is executable").isTrue();
    assertThat(run(List.of("bash", "-n", RUN_SH.toString()))).isEmpty();
    Path shellcheck = tool("shellcheck", "apt-get install -y shellcheck");
    assertThat(run(List.of(shellcheck.toString(), "-x", RUN_SH.toString()))).isEmpty();
  }

  @Test
  void theBuildScriptsOfTheRealComponentsPassShellcheck() throws IOException, InterruptedException {
    Path shellcheck = tool("shellcheck", "apt-get install -y shellcheck");
    for (String script :
        List.of(
            "e2e/control-plane/build.sh",
            "e2e/vault/build.sh",
            "e2e/vault/dev-server.sh",
            "e2e/node/build.sh",
            "e2e/node/node.sh",
            "e2e/node/images.sh",
            "e2e/node/cluster.sh",
            ".ci/run")) {
      Path file = Path.of(script);
      assertThat(Files.isExecutable(file) || script.equals(".ci/run")).as(script).isTrue();
      assertThat(run(List.of(shellcheck.toString(), "-x", file.toString()))).as(script).isEmpty();
    }
  }

  @Test
  void argoDocumentsNameTheCrdsGroupAndKind() throws IOException {
    JsonNode crd = YAML.readTree(CRD.toFile());
    String group = crd.path("spec").path("group").asText();
    String kind = crd.path("spec").path("names").path("kind").asText();
    assertThat(group).isEqualTo("nbsecrets.io");
    assertThat(Path.of("operator/argocd/resource_customizations", group, kind, "health.lua"))
        .exists();
    assertThat(Files.readString(Path.of("docs/argocd.md"), StandardCharsets.UTF_8))
        .contains("resource.customizations.health." + group + "_" + kind)
        .contains("SkipDryRunOnMissingResource=true")
        .contains("ServerSideApply=true");
    // The CRD declares no schema defaults (they would cause endless Argo CD diffs).
    assertThat(Files.readString(CRD, StandardCharsets.UTF_8))
        .doesNotContainPattern("(?m)^\\s*default:");

    List<JsonNode> apps = new ArrayList<>();
    try (YAMLParser parser =
        new YAMLFactory().createParser(Path.of("e2e/argocd/application.yaml").toFile())) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(apps::add);
    }
    assertThat(apps)
        .isNotEmpty()
        .allSatisfy(a -> assertThat(a.path("kind").asText()).isEqualTo("Application"));
    JsonNode chartApp = apps.get(0);
    assertThat(chartApp.path("spec").path("source").path("path").asText())
        .isEqualTo("charts/nbsecrets");
    ArrayNode options = (ArrayNode) chartApp.path("spec").path("syncPolicy").path("syncOptions");
    assertThat(options.toString())
        .contains("ServerSideApply=true")
        .contains("CreateNamespace=true");
    // The install alone in its file; the sessions example apart.
    assertThat(apps).hasSize(1);
    JsonNode sessions = YAML.readTree(Path.of("e2e/argocd/sessions-application.yaml").toFile());
    assertThat(sessions.path("kind").asText()).isEqualTo("Application");
    assertThat(sessions.path("spec").path("syncPolicy").path("syncOptions").toString())
        .contains("SkipDryRunOnMissingResource=true");
  }

  static String run(List<String> command) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail(command + " did not finish");
    }
    String text = new String(out, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(command + ": " + text).isZero();
    return text;
  }

  /** A tool from the PATH; skipped when missing, except in CI ({@code CI=true}), where it fails. */
  static Path tool(String name, String install) {
    Optional<Path> found =
        Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(File.pathSeparator))
            .filter(d -> !d.isEmpty())
            .map(d -> Path.of(d, name))
            .filter(Files::isExecutable)
            .findFirst();
    if (found.isEmpty()) {
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail(name + " is required in CI (" + install + ")");
      }
      Assumptions.assumeTrue(false, name + " is not installed (" + install + ")");
    }
    return found.get();
  }

  /** The docs show one way to apply the plain manifests: server-side, the one file. */
  @Test
  void everyDocAppliesTheManifestsTheSameWay() throws IOException {
    List<Path> docs =
        new java.util.ArrayList<>(
            List.of(Path.of("README.md"), Path.of("charts/nbsecrets/README.md")));
    try (var files = Files.list(Path.of("docs"))) {
      files.filter(f -> f.toString().endsWith(".md")).forEach(docs::add);
    }
    List<String> applies = new java.util.ArrayList<>();
    for (Path doc : docs) {
      Files.readAllLines(doc, StandardCharsets.UTF_8).stream()
          .filter(l -> l.contains("kubectl apply") && l.contains("manifests"))
          .forEach(l -> applies.add(doc + ": " + l.trim()));
    }
    assertThat(applies)
        .isNotEmpty()
        .allSatisfy(
            l -> assertThat(l).endsWith("kubectl apply --server-side -f manifests/nbsecrets.yaml"));
  }
}
