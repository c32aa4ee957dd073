package io.nbsecrets.cli.user;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What the user commands share: the config file's place ({@code NBSECRETS_CONFIG}), the saved
 * login, and their output streams.
 */
abstract class UserCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  Path configFile() {
    return UserConfig.location(System.getenv());
  }

  SecretsApi api() {
    return new SecretsApi(UserConfig.require(configFile()));
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  static void checkName(String name) {
    io.nbsecrets.model.SecretNames.problem(name)
        .ifPresent(
            problem -> {
              throw new CliFailure(ExitCodes.USAGE, "invalid name: " + problem);
            });
  }
}
