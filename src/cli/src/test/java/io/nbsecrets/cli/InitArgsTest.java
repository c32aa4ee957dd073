package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.init.InitRunner;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

/**
 * The pod steps' fast way in (init, and the refresh sidecar) reads exactly what picocli reads, or
 * hands the line to picocli.
 */
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
    // The sidecar reads them alike.
    assertThat(
            InitArgs.parseRefresh(args, Map.of("NBSECRETS_API_CA", "PEM")).orElseThrow().options())
        .isEqualTo(fast.options());
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
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "positional"),
        // A value that is an option's name: picocli says the value is missing.
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--mode", "-h"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--mode=-V"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=--help"),
        // An argument file, which picocli expands.
        List.of("@/etc/nbsecrets-args"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--mode", "@/f"));
  }

  @ParameterizedTest
  @MethodSource("linesForPicocli")
  void leavesAnythingElseToPicocli(List<String> line) {
    assertThat(InitArgs.parse(line.toArray(String[]::new), Map.of())).isEmpty();
  }

  @Test
  void knowsEveryOptionInitCommandDeclares() {
    assertThat(fastOptions(InitArgs.VALUED)).isEqualTo(declared(new InitCommand()));
  }

  /** The options {@code command} declares, but picocli's usage and version help. */
  private static Set<String> declared(Object command) {
    Set<String> declared = new HashSet<>();
    Set<String> help = new HashSet<>();
    for (OptionSpec option : new CommandLine(command).getCommandSpec().options()) {
      (option.usageHelp() || option.versionHelp() ? help : declared)
          .addAll(List.of(option.names()));
    }
    assertThat(help).as("picocli's help options").isEqualTo(InitArgs.HELP);
    return declared;
  }

  /** The options the fast reader reads, given the ones that take a value. */
  private static Set<String> fastOptions(Set<String> valued) {
    Set<String> fast = new HashSet<>(valued);
    fast.addAll(InitArgs.FLAGS);
    return fast;
  }

  /** What picocli makes of {@code args}, as {@link RefreshCommand} would run it. */
  private static InitArgs.RefreshParsed picocliRefresh(String[] args) {
    RefreshCommand command = new RefreshCommand();
    new CommandLine(command).parseArgs(args);
    return new InitArgs.RefreshParsed(command.pod.options(), command.interval);
  }

  /**
   * Init's plain lines without init's own option (the operator gives the sidecar init's arguments,
   * the role changed: RefreshSidecar), each with and without an interval in either form.
   */
  static Stream<List<String>> plainRefreshLines() {
    List<List<String>> lines = new ArrayList<>();
    for (List<String> init : plainLines().toList()) {
      List<String> line = new ArrayList<>(init);
      line.removeIf(a -> a.startsWith("--termination-log"));
      lines.add(line);
      List<String> detached = new ArrayList<>(line);
      detached.addAll(List.of("--interval", "PT0.5S"));
      lines.add(detached);
      List<String> attached = new ArrayList<>(line);
      attached.add("--interval=PT1M");
      lines.add(attached);
    }
    return lines.stream();
  }

  @ParameterizedTest
  @MethodSource("plainRefreshLines")
  void readsPlainRefreshLinesAsPicocliDoes(List<String> line) {
    String[] args = line.toArray(String[]::new);

    assertThat(InitArgs.parseRefresh(args, Map.of())).contains(picocliRefresh(args));
  }

  @Test
  void aRefreshLineWithoutAnIntervalGetsPicocliDefault() {
    String[] args = {"--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m"};

    InitArgs.RefreshParsed fast = InitArgs.parseRefresh(args, Map.of()).orElseThrow();

    assertThat(fast.interval())
        .isEqualTo(Duration.ofSeconds(2))
        .isEqualTo(picocliRefresh(args).interval());
  }

  static Stream<List<String>> refreshLinesForPicocli() {
    return Stream.of(
        List.of("--help"),
        List.of(),
        List.of("--sealed-dir=/s", "--mount-path=/m"),
        // Init's option, not the sidecar's: picocli says it is unknown.
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--termination-log=/l"),
        // Not ISO-8601: picocli says what it could not convert.
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--interval=2s"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--interval"),
        List.of(
            "--sealed-dir=/s",
            "--user-key-file=/k",
            "--mount-path=/m",
            "--interval=PT1S",
            "--interval=PT2S"),
        List.of("--version"),
        List.of(
            "--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--interval", "--mode=x"),
        List.of("--sealed-dir=/s", "--user-key-file=/k", "--mount-path=/m", "--mode=-h"),
        List.of("@/etc/nbsecrets-args"));
  }

  @ParameterizedTest
  @MethodSource("refreshLinesForPicocli")
  void leavesAnyOtherRefreshLineToPicocli(List<String> line) {
    assertThat(InitArgs.parseRefresh(line.toArray(String[]::new), Map.of())).isEmpty();
  }

  @Test
  void knowsEveryOptionRefreshCommandDeclares() {
    assertThat(fastOptions(InitArgs.REFRESH_VALUED)).isEqualTo(declared(new RefreshCommand()));
  }

  @Test
  void anIntervalOutOfRangeIsRefusedByName() throws InterruptedException {
    for (String interval :
        List.of(
            "PT0S", "PT-1S", "PT0.0001S", "PT0.099S", "PT24H0.001S", "PT9223372036854775807S")) {
      StringWriter err = new StringWriter();
      InitArgs.RefreshParsed parsed =
          InitArgs.parseRefresh(
                  new String[] {
                    "--sealed-dir=/s",
                    "--user-key-file=/k",
                    "--mount-path=/m",
                    "--interval=" + interval
                  },
                  Map.of())
              .orElseThrow();

      int code =
          RefreshCommand.run(
              parsed.options(),
              parsed.interval(),
              new PrintWriter(new StringWriter()),
              new PrintWriter(err));

      assertThat(code).as(interval).isEqualTo(2);
      assertThat(err.toString()).contains("--interval must be from PT0.1S to PT24H, not ");
    }
  }
}
