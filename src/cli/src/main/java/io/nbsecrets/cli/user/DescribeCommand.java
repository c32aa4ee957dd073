package io.nbsecrets.cli.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code nbsecrets describe NAME}: one secret's metadata (never its value). */
@Command(
    mixinStandardHelpOptions = true,
    name = "describe",
    description =
        "Show one secret: metadata, last use and the sessions holding its current version"
            + " (never its value).",
    footerHeading = "%nExamples:%n",
    footer = {"  nbsecrets describe GITHUB_TOKEN", "  nbsecrets describe GITHUB_TOKEN -o json"})
public final class DescribeCommand extends UserCommand {
  @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name.")
  String name;

  @Mixin OutputOption output = new OutputOption();

  @Override
  public Integer call() throws Exception {
    checkName(name);
    JsonNode secret =
        api()
            .get(name)
            .orElseThrow(() -> new CliFailure(ExitCodes.NOT_FOUND, "no secret named " + name));
    if (output.json()) {
      out().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(secret));
      return ExitCodes.OK;
    }
    out().printf("Name:      %s%n", secret.path("name").asText());
    out().printf("Version:   %s%n", secret.path("version").asText());
    out().printf("Created:   %s%n", Table.seconds(secret.path("createdAt").asText()));
    out().printf("Updated:   %s%n", Table.seconds(secret.path("updatedAt").asText()));
    out().printf("Last used: %s%n", Table.lastUsed(secret));
    out().printf("Used by:   %s%n", usedBy(secret.path("usedBy")));
    out().flush();
    return ExitCodes.OK;
  }

  /** The sessions holding the current version, as namespace/name; the API may not know. */
  private static String usedBy(JsonNode sessions) {
    if (!sessions.isArray()) {
      return "(not known: the API cannot see sessions)";
    }
    if (sessions.isEmpty()) {
      return "no session holds this version";
    }
    List<String> names = new ArrayList<>();
    sessions.forEach(s -> names.add(s.path("namespace").asText() + "/" + s.path("name").asText()));
    return String.join(", ", names);
  }
}
