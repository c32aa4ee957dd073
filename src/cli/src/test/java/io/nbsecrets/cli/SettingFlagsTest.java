package io.nbsecrets.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nbsecrets.cli.SettingFlags.Flag;
import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Settings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

class SettingFlagsTest {

  @Command(name = "probe", modelTransformer = SettingFlags.Bind.class)
  static final class Probe implements SettingFlags.Owner {
    @Spec CommandSpec spec;

    @Override
    public List<Flag> settingFlags() {
      return List.of(
          new Flag("--watch-namespaces", List.class, NbsecretsSettings.WATCH_NAMESPACES),
          new Flag("--leader-election", boolean.class, NbsecretsSettings.OPERATOR_LEADER_ELECTION),
          new Flag("--session-uid", Long.class, NbsecretsSettings.OPERATOR_SESSION_UID));
    }
  }

  private static List<Settings.Given> given(String... args) {
    Probe probe = new Probe();
    new CommandLine(probe).parseArgs(args);
    return SettingFlags.given(probe.spec);
  }

  @Test
  void eachKindOfFlagSetsItsSettingWhenGiven() {
    assertThat(given("--watch-namespaces=a,b", "--leader-election", "--session-uid", "7"))
        .containsExactly(
            new Settings.Given("rbac.watchNamespaces", "a,b", "--watch-namespaces"),
            new Settings.Given("operator.leaderElection", "true", "--leader-election"),
            new Settings.Given("operator.sessionUid", "7", "--session-uid"));
    assertThat(given()).isEmpty();
  }

  @Test
  void helpShowsTheSettingsHelpAndDefault() {
    String help = new CommandLine(new Probe()).getUsageMessage();
    assertThat(help)
        .contains("--session-uid=<sessionUid>")
        .contains("Session pods' user id. Default: 1000.")
        .contains("Elect a leader among replicas (Lease).");
  }

  @Test
  void aValueOfTheWrongTypeIsRefusedByTheParser() {
    CommandLine cl = new CommandLine(new Probe());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("--session-uid", "many")).isEqualTo(CommandLine.ExitCode.USAGE);
    assertThat(err.toString()).contains("'many' is not a long");
  }
}
