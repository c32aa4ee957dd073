package io.nbsecrets.cli.user;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;

/** {@code nbsecrets logout}: forgets the saved login. */
@Command(
    mixinStandardHelpOptions = true,
    name = "logout",
    description = "Forget the saved login (the token and the API's address).")
public final class LogoutCommand extends UserCommand {
  @Override
  public Integer call() throws IOException {
    Path file = configFile();
    out().println(Files.deleteIfExists(file) ? "Logged out: removed " + file : "Not logged in.");
    return ExitCodes.OK;
  }
}
