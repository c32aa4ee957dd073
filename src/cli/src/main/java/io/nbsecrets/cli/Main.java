package io.nbsecrets.cli;

import io.nbsecrets.cli.user.DescribeCommand;
import io.nbsecrets.cli.user.ListCommand;
import io.nbsecrets.cli.user.LoginCommand;
import io.nbsecrets.cli.user.LogoutCommand;
import io.nbsecrets.cli.user.RmCommand;
import io.nbsecrets.cli.user.SetCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one jar's entry point: every role is a subcommand. */
@Command(
    name = "nbsecrets",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "Users' personal secrets in notebook sessions, encrypted twice.",
    subcommands = {
      LoginCommand.class,
      ListCommand.class,
      SetCommand.class,
      RmCommand.class,
      DescribeCommand.class,
      LogoutCommand.class,
      OperatorCommand.class,
      ApiCommand.class,
      InitCommand.class,
      RefreshCommand.class,
      RotateKeysCommand.class
    })
public final class Main implements Runnable {
  // No public method here names a picocli type: the launcher looks up main() by reflection,
  // which loads the types of every public method's signature, and picocli's classes (Java 5 class
  // files, which class-data sharing does not archive) would then load on the init step's way.

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    JvmDefaults.apply(); // first: the JVM reads these settings once
    if (args.length > 0 && args[0].equals("init")) {
      // The init step starts in every session pod, and its start is on the session's way: read
      // its options without picocli when they are plain (InitArgs), else build only its command.
      String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
      var parsed = InitArgs.parse(rest, System.getenv());
      if (parsed.isPresent()) {
        System.exit(
            InitCommand.run(
                parsed.get().options(),
                parsed.get().terminationLog(),
                new java.io.PrintWriter(System.out, true),
                new java.io.PrintWriter(System.err, true)));
      }
      System.exit(alone(new InitCommand(), "init", rest));
    }
    if (args.length > 0 && args[0].equals("refresh")) {
      // The refresh sidecar lives as long as its session, one per live session: its plain options
      // are read as init's are, and otherwise it builds only its own command, not every role's
      // (their classes would stay loaded for nothing).
      String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
      var parsed = InitArgs.parseRefresh(rest, System.getenv());
      if (parsed.isPresent()) {
        try {
          System.exit(
              RefreshCommand.run(
                  parsed.get().options(),
                  parsed.get().interval(),
                  new java.io.PrintWriter(System.out, true),
                  new java.io.PrintWriter(System.err, true)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          System.exit(0);
        } catch (RuntimeException e) {
          // As picocli's way in reports it (Commands.withErrorHandler): its message, exit 1.
          System.err.println("nbsecrets: " + e.getMessage());
          System.exit(1);
        }
      }
      System.exit(alone(new RefreshCommand(), "refresh", rest));
    }
    System.exit(Commands.commandLine().execute(args));
  }

  /** Runs one command without building the others (its name as the whole line would give it). */
  private static int alone(Object command, String name, String[] args) {
    CommandLine line = Commands.withErrorHandler(new CommandLine(command));
    line.setCommandName("nbsecrets " + name);
    return line.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Version from the jar manifest. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"nbsecrets " + (v == null ? "(development build)" : v)};
    }
  }
}
