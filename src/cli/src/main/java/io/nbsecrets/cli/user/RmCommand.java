package io.nbsecrets.cli.user;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code nbsecrets rm NAME}: deletes a secret. */
@Command(
    mixinStandardHelpOptions = true,
    name = "rm",
    aliases = "delete",
    description = {
      "Delete a secret.",
      "Sessions that mount it keep their copy until they restart (refresh: Live sessions"
          + " lose the file within a minute)."
    },
    footerHeading = "%nExamples:%n",
    footer = {"  nbsecrets rm OLD_TOKEN", "  nbsecrets rm OLD_TOKEN --ignore-not-found"})
public final class RmCommand extends UserCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name.")
  String name;

  @Option(
      names = "--ignore-not-found",
      description = "Succeed (exit 0) when there is no such secret.")
  boolean ignoreNotFound;

  @Override
  public Integer call() {
    checkName(name);
    if (api().delete(name)) {
      out().println("Deleted " + name);
    } else if (ignoreNotFound) {
      out().println("No secret named " + name + " (nothing to delete)");
    } else {
      throw new CliFailure(ExitCodes.NOT_FOUND, "no secret named " + name);
    }
    return ExitCodes.OK;
  }
}
