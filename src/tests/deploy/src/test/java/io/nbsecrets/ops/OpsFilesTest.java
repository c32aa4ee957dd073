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
import org.junit.jupiter.api.io.TempDir;

/**
 * Static checks of the files that only run where Docker, kind or Argo CD run (the image build, the
 * kind script, the Argo CD documents): what can be checked without them is checked here.
 */
class OpsFilesTest {
  static final Path DOCKERFILE = Path.of("operator/Dockerfile");
  static final Path RUN_SH = Path.of("e2e/kind/run.sh");
  static final Path ENTRYPOINT = Path.of("operator/entrypoint.sh");
  static final Path CRD = Path.of("crds/notebooksessions.nbsecrets.io-v1.yml");
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void imageRunsTheOneJarAsANonRootUserWithTheArchiveItWasTrainedFor() throws IOException {
    String dockerfile = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
    // The runtime user is numeric and not root.
    Matcher user = Pattern.compile("(?m)^USER (\\d+)(?::(\\d+))?$").matcher(dockerfile);
    assertThat(user.find()).as("USER with a numeric id").isTrue();
    assertThat(Integer.parseInt(user.group(1))).isEqualTo(65532);

    // The entry point is the script, in exec form, copied executable for everyone.
    Matcher entry = Pattern.compile("(?ms)^ENTRYPOINT (\\[.*?\\])$").matcher(dockerfile);
    assertThat(entry.find()).as("ENTRYPOINT in exec form").isTrue();
    assertThat(entry.group(1)).isEqualTo("[\"/opt/nbsecrets/entrypoint\"]");
    assertThat(dockerfile)
        .contains("COPY --chmod=0555 operator/entrypoint.sh /opt/nbsecrets/entrypoint");
    String script = Files.readString(ENTRYPOINT, StandardCharsets.UTF_8);

    // The archive is created at the path the entry point uses: the classes a training run of the
    // init step loads, dumped into a static archive from the same jar path, by the same JVM flags
    // as the entry point's for init (the argument file and G1: the training run, the dump, the
    // check), and checked.
    assertThat(script)
        .contains("home=/opt/nbsecrets\n")
        .contains("-XX:SharedArchiveFile=$home/nbsecrets.jsa");
    assertThat(dockerfile)
        .contains("-XX:DumpLoadedClassList=/tmp/cds/classes.txt")
        .contains(
            "-cp /opt/nbsecrets/nbsecrets-init.jar:/opt/nbsecrets/nbsecrets.jar"
                + " io.nbsecrets.cli.Main init")
        .contains("-Xshare:dump -XX:SharedClassListFile=/tmp/cds/classes.txt")
        .contains("-Xshare:on -XX:SharedArchiveFile=/opt/nbsecrets/nbsecrets.jsa");
    assertThat(dockerfile.split(Pattern.quote("java @/opt/nbsecrets/jvm.args -XX:+UseG1GC "), -1))
        .hasSize(4);
    Matcher maxRam = Pattern.compile("-XX:MaxRAMPercentage=\\d+").matcher(script);
    assertThat(maxRam.find()).isTrue();
    assertThat(dockerfile).contains(maxRam.group() + " ");
    // The init step's JNI library: copied where the entry point's property names it, and loaded
    // by the training run, whose log fails the build when the step would use the JDK's crypto.
    assertThat(script).contains("-Dnbsecrets.init.native=$home/libnbsecrets-init.so");
    assertThat(dockerfile)
        .contains("cp src/init/target/native/libnbsecrets-init.so /libnbsecrets-init.so")
        .contains(
            "COPY --from=build --chmod=0444 /libnbsecrets-init.so"
                + " /opt/nbsecrets/libnbsecrets-init.so")
        .contains("-Dnbsecrets.init.native=/opt/nbsecrets/libnbsecrets-init.so")
        .contains("grep -q 'not libcrypto' /tmp/cds/training.log");
    // The operator's Java, copied where the entry point looks for it and checked; its AOT cache,
    // trained after the build (e2e/node/images.sh) at the path the entry point gives the operator,
    // made with the collector and heap the stand-in gives the chart's 512 MiB operator.
    assertThat(dockerfile)
        .contains("FROM ${OPERATOR_JDK_IMAGE} AS operator-java")
        .contains("COPY --from=operator-java /operator-java /opt/nbsecrets/operator-java")
        .contains("ln -sf \"$cacerts\" /opt/nbsecrets/operator-java/lib/security/cacerts")
        .contains("/opt/nbsecrets/operator-java/bin/java -cp /opt/nbsecrets/nbsecrets-init.jar");
    assertThat(script)
        .contains("[ -x \"$home/operator-java/bin/java\" ]")
        .contains("archive=-XX:AOTCache=$home/operator.aot");
    String images = Files.readString(Path.of("e2e/node/images.sh"), StandardCharsets.UTF_8);
    assertThat(images)
        .contains("--build-arg OPERATOR_JDK_IMAGE=")
        .contains("--operator-image-root \"$m\"")
        .contains("-XX:AOTMode=record -XX:AOTConfiguration=/tmp/operator.aotconf")
        .contains(
            "-XX:AOTConfiguration=/tmp/operator.aotconf -XX:AOTCache=/opt/nbsecrets/operator.aot")
        .contains("-XX:AOTMode=on");
    Matcher trainedFlags = Pattern.compile("local flags=\"([^\"]*)\"").matcher(images);
    assertThat(trainedFlags.find()).isTrue();
    assertThat(trainedFlags.group(1)).isEqualTo("-XX:+UseSerialGC -Xmx384m");
    // Built with the wrapper, the documented command.
    assertThat(dockerfile).contains("./mvnw -B -q package -DskipTests");
    assertThat(Path.of("operator/Dockerfile.dockerignore")).exists();
  }

  /**
   * The entry point script run by a real {@code sh}, with a stand-in {@code java} that prints the
   * arguments it is given: every role gets the shared flags, the init step G1 as well (the
   * archive's heap objects), the init step and the refresh sidecar C1 alone, unless the JVM's
   * option variables name a collector or a tiered setting; the operator and the API the collector
   * and JIT the JVM picks; the role's own arguments follow the main class untouched, spaces and
   * all; and the script passes shellcheck.
   */
  @Test
  void theEntryPointGivesEachRoleItsJvmFlags(@TempDir Path dir) throws Exception {
    assertThat(Files.isExecutable(ENTRYPOINT)).isTrue();
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path java = bin.resolve("java");
    Files.writeString(java, "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
    java.toFile().setExecutable(true);
    List<String> shared =
        List.of(
            "@/opt/nbsecrets/jvm.args",
            "-XX:SharedArchiveFile=/opt/nbsecrets/nbsecrets.jsa",
            "-Xshare:auto",
            "-XX:MaxRAMPercentage=75",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-UsePerfData",
            "-XX:ErrorFile=/tmp/hs_err_pid%p.log",
            "-Dnbsecrets.init.native=/opt/nbsecrets/libnbsecrets-init.so",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr",
            "-cp",
            "/opt/nbsecrets/nbsecrets-init.jar:/opt/nbsecrets/nbsecrets.jar",
            "io.nbsecrets.cli.Main");
    // The role's arguments, then a JVM option variable: a collector named there keeps G1 out.
    for (List<String> args :
        List.of(
            List.of("init", "--mount-path=/a path/with spaces"),
            List.of("operator"),
            List.of("api", "--port", "8443"),
            List.of("refresh", "--interval=30s"),
            List.<String>of(),
            List.of("init", "JDK_JAVA_OPTIONS=-Xss512k -XX:MaxGCPauseMillis=50"),
            List.of("init", "JAVA_TOOL_OPTIONS=-XX:+UseSerialGC"),
            List.of("init", "_JAVA_OPTIONS=-Xmx100m -XX:+UseParallelGC"),
            List.of("init", "JDK_JAVA_OPTIONS=-XX:TieredStopAtLevel=4"),
            List.of("init", "JAVA_TOOL_OPTIONS=-XX:-TieredCompilation -XX:+UseG1GC"),
            List.of("refresh", "JDK_JAVA_OPTIONS=-XX:TieredStopAtLevel=3"))) {
      List<String> roleArgs = args;
      String option = null;
      if (args.size() == 2 && args.get(1).contains("OPTIONS=")) {
        roleArgs = args.subList(0, 1);
        option = args.get(1);
      }
      ProcessBuilder pb = new ProcessBuilder();
      List<String> command = new ArrayList<>(List.of("sh", ENTRYPOINT.toString()));
      command.addAll(roleArgs);
      pb.command(command).redirectErrorStream(true);
      pb.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
      for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
        pb.environment().remove(name);
      }
      if (option != null) {
        pb.environment()
            .put(
                option.substring(0, option.indexOf('=')),
                option.substring(option.indexOf('=') + 1));
      }
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(out).isZero();
      List<String> expected = new ArrayList<>(shared);
      boolean collectorNamed = option != null && option.matches(".*-XX:[+-]Use\\w+GC\\b.*");
      boolean tieringNamed =
          option != null && option.matches(".*-XX:(TieredStopAtLevel=|[+-]TieredCompilation).*");
      boolean init = !roleArgs.isEmpty() && roleArgs.get(0).equals("init");
      boolean podStep = init || (!roleArgs.isEmpty() && roleArgs.get(0).equals("refresh"));
      if (podStep && !tieringNamed) {
        expected.add(3, "-XX:TieredStopAtLevel=1");
      }
      if (init && !collectorNamed) {
        expected.add(3, "-XX:+UseG1GC");
      }
      expected.addAll(roleArgs);
      assertThat(out.lines().toList()).as("java's arguments for %s", args).isEqualTo(expected);
    }
    Path shellcheck = tool("shellcheck", "apt-get install -y shellcheck");
    assertThat(run(List.of(shellcheck.toString(), ENTRYPOINT.toString()))).isEmpty();
  }

  /**
   * The operator, and only the operator, runs on the image's operator Java when it has one: with
   * the AOT cache once trained, and without Java 17's argument file and archive; the other roles
   * keep the runtime image's Java. The script is run with its home in a folder of stand-ins.
   */
  @Test
  void theOperatorRunsOnItsOwnJavaWithItsAotCacheWhenTheImageHasThem(@TempDir Path dir)
      throws Exception {
    Path home = Files.createDirectories(dir.resolve("opt/nbsecrets"));
    String stub = "#!/bin/sh\necho \"$0\"; for a in \"$@\"; do printf '%s\\n' \"$a\"; done\n";
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path java17 = Files.writeString(bin.resolve("java"), stub);
    Path operatorJava =
        Files.writeString(
            Files.createDirectories(home.resolve("operator-java/bin")).resolve("java"), stub);
    java17.toFile().setExecutable(true);
    operatorJava.toFile().setExecutable(true);
    Path script =
        Files.writeString(
            dir.resolve("entrypoint"),
            Files.readString(ENTRYPOINT).replace("home=/opt/nbsecrets\n", "home=" + home + "\n"));
    List<String> tail =
        List.of(
            "-XX:MaxRAMPercentage=75",
            "-XX:+ExitOnOutOfMemoryError",
            "-XX:-UsePerfData",
            "-XX:ErrorFile=/tmp/hs_err_pid%p.log",
            "-Dnbsecrets.init.native=" + home + "/libnbsecrets-init.so",
            "-Xlog:disable",
            "-Xlog:all=warning:stderr",
            "-cp",
            home + "/nbsecrets-init.jar:" + home + "/nbsecrets.jar",
            "io.nbsecrets.cli.Main");
    // Not trained yet: the operator's Java, its JIT alone.
    List<String> untrained = new ArrayList<>(List.of(operatorJava.toString()));
    untrained.addAll(tail);
    untrained.add("operator");
    assertThat(entrypoint(script, bin, "operator")).isEqualTo(untrained);
    // Trained: its AOT cache.
    Files.writeString(home.resolve("operator.aot"), "cache");
    List<String> trained = new ArrayList<>(List.of(operatorJava.toString()));
    trained.add("-XX:AOTCache=" + home + "/operator.aot");
    trained.addAll(tail);
    trained.add("operator");
    assertThat(entrypoint(script, bin, "operator")).isEqualTo(trained);
    // Every other role: Java 17, its argument file and archive.
    for (String role : List.of("api", "init", "refresh", "rotate-keys")) {
      List<String> args = entrypoint(script, bin, role);
      assertThat(args.get(0)).as(role).isEqualTo("java");
      assertThat(args)
          .as(role)
          .contains("@" + home + "/jvm.args", "-XX:SharedArchiveFile=" + home + "/nbsecrets.jsa")
          .noneMatch(a -> a.startsWith("-XX:AOTCache"))
          .endsWith("io.nbsecrets.cli.Main", role);
    }
  }

  /** What {@code script ROLE} gives its java stand-in: the stand-in's name, then its arguments. */
  private static List<String> entrypoint(Path script, Path bin, String role) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), role).redirectErrorStream(true);
    pb.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
    for (String name : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) {
      pb.environment().remove(name);
    }
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    List<String> lines = new ArrayList<>(out.lines().toList());
    // $0 of the stand-in found on PATH is its path: "java" stands for the runtime image's.
    if (lines.get(0).equals(bin.resolve("java").toString())) {
      lines.set(0, "java");
    }
    return lines;
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

  /**
   * The image's argument file of release-dependent JVM flags, written by the Dockerfile's own shell
   * lines run with a real {@code sh}: empty under this Java 17 (whose JNI needs no flag, and where
   * the flag's property would turn off the archived module graph), the native-access flag under a
   * launcher that reports release 22 or 25 (a stand-in script: no such JDK here); a failed build
   * that says why when the release cannot be read.
   */
  @Test
  void argumentFileCarriesTheNativeAccessFlagFromJava22On(@TempDir Path dir) throws Exception {
    String dockerfile = Files.readString(DOCKERFILE, StandardCharsets.UTF_8);
    Path args = dir.resolve("jvm.args");
    String script =
        runInstruction(dockerfile, "jvm.args").replace("/opt/nbsecrets/jvm.args", args.toString());
    Path jdk17 = Path.of(System.getProperty("java.home"), "bin");
    assertThat(Runtime.version().feature()).isEqualTo(17);
    String flag = "--enable-native-access=ALL-UNNAMED\n";
    for (List<String> release :
        List.of(
            List.of("17", ""), List.of("22", flag), List.of("25", flag), List.of("unknown", ""))) {
      Path bin = jdk17;
      if (!release.get(0).equals("17")) {
        bin = Files.createDirectories(dir.resolve("java-" + release.get(0)));
        Path java = bin.resolve("java");
        Files.writeString(
            java,
            release.get(0).equals("unknown")
                ? "#!/bin/sh\necho 'no such option' >&2\nexit 1\n"
                : "#!/bin/sh\necho '    java.specification.version = "
                    + release.get(0)
                    + "' >&2\necho 'openjdk version' >&2\n");
        java.toFile().setExecutable(true);
      }
      Files.deleteIfExists(args);
      var env = new ProcessBuilder("sh", "-c", script);
      env.environment().put("PATH", bin + File.pathSeparator + System.getenv("PATH"));
      Process shell =
          env.redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      String out = new String(shell.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(shell.waitFor(60, TimeUnit.SECONDS)).isTrue();
      if (release.get(0).equals("unknown")) {
        assertThat(shell.exitValue()).as(out).isNotZero();
        assertThat(out).contains("cannot read the runtime's Java release");
        assertThat(args).doesNotExist();
        continue;
      }
      assertThat(shell.exitValue()).as(release.get(0) + ": " + out).isZero();
      assertThat(Files.readString(args)).as("release " + release.get(0)).isEqualTo(release.get(1));
      assertThat(Files.getPosixFilePermissions(args))
          .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
    }
  }

  /** The shell lines of the Dockerfile's first RUN instruction that mention {@code text}. */
  static String runInstruction(String dockerfile, String text) {
    List<String> lines = dockerfile.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).startsWith("RUN ")) {
        continue;
      }
      StringBuilder shell = new StringBuilder();
      int j = i;
      String line = lines.get(j).substring("RUN ".length());
      while (line.endsWith("\\") && j + 1 < lines.size()) {
        shell.append(line, 0, line.length() - 1).append('\n');
        line = lines.get(++j);
      }
      shell.append(line).append('\n');
      if (shell.indexOf(text) >= 0) {
        return shell.toString();
      }
      i = j;
    }
    throw new AssertionError("no RUN instruction mentions " + text);
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
