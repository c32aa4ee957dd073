package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.init.InitRunner;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The init step's fast way in reads exactly what picocli reads, or hands the line to picocli. */
class InitArgsTest {
  /** What picocli makes of {@code args}, as {@link InitCommand} would run it. */
  private static InitArgs.Parsed picocli(String[] args) {
    InitCommand command = new InitCommand();
    new CommandLine(command).parseArgs(args);
    return new InitArgs.Parsed(command.pod.options(), command.terminationLog);
  }

  static Stream<List<String>> plainLines() {
    return Stream.of(
        // As the operator writes it (InitContainer.args).
        List.of(
            "--api-url=https://nbsecrets-api.nbsecrets.svc:8443",
            "--sealed-dir=/var/run/nbsecrets/sealed",
            "--token-file=/var/run/nbsecrets/token/token",
            "--mount-path=/secrets"),
        List.of(
            "--api-url",
            "http://api:8080",
            "--allow-insecure-http",
            "--sealed-dir",
            "/s",
            "--token-file",
            "/t",
            "--mount-path",
            "/m",
            "--mode=r--r-----",
            "--env-file",
            "/m/.env",
            "--api-tls-server-name=api.example",
            "--termination-log=/tmp/log"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--api-ca=PEM"));
  }

  @ParameterizedTest
  @MethodSource("plainLines")
  void readsPlainLinesAsPicocliDoes(List<String> line) {
    String[] args = line.toArray(String[]::new);

    assertThat(InitArgs.parse(args, Map.of())).contains(picocli(args));
  }

  @Test
  void takesTheApiCaFromTheEnvironmentAsPicocliDoes() {
    String[] args = {"--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m"};

    InitArgs.Parsed fast = InitArgs.parse(args, Map.of("NBSECRETS_API_CA", "PEM")).orElseThrow();

    assertThat(fast.options().trust().caBundle()).isEqualTo("PEM");
    assertThat(fast.options().mode()).isEqualTo("r--------");
    assertThat(fast.terminationLog()).isEqualTo(Path.of(InitRunner.TERMINATION_LOG));
  }

  static Stream<List<String>> linesForPicocli() {
    return Stream.of(
        List.of("--help"),
        List.of("--version"),
        List.of(),
        List.of("--sealed-dir=/s", "--mount-path=/m"), // no key: picocli names what is missing
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--unknown=1"),
        List.of("--sealed-dir=/s", "--sealed-dir=/t", "--user-key-file=/k", "--mount-path=/m"),
        List.of("--sealed-dir", "--user-key-file=/k", "--mount-path=/m"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "positional"));
  }

  @ParameterizedTest
  @MethodSource("linesForPicocli")
  void leavesAnythingElseToPicocli(List<String> line) {
    assertThat(InitArgs.parse(line.toArray(String[]::new), Map.of())).isEmpty();
  }

  @Test
  void knowsEveryOptionInitCommandDeclares() {
    Set<String> declared = new HashSet<>();
    for (OptionSpec option : new CommandLine(new InitCommand()).getCommandSpec().options()) {
      if (!option.usageHelp() && !option.versionHelp()) {
        declared.add(option.longestName());
      }
    }
    Set<String> fast = new HashSet<>(InitArgs.VALUED);
    fast.addAll(InitArgs.FLAGS);

    assertThat(fast).isEqualTo(declared);
  }
}
