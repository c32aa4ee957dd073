package io.nbsecrets.cli.user;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code nbsecrets list}: the user's secrets, names and versions (never values). */
@Command(
    mixinStandardHelpOptions = true,
    name = "list",
    aliases = "ls",
    description =
        "List your secrets: versions, times, last use and the number of sessions holding"
            + " each (never values).",
    footerHeading = "%nExamples:%n",
    footer = {"  nbsecrets list", "  nbsecrets list -o json | jq -r '.items[].name'"})
public final class ListCommand extends UserCommand {
  @Mixin OutputOption output = new OutputOption();

  @Override
  public Integer call() throws Exception {
    JsonNode answer = api().list();
    if (output.json()) {
      out().println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(answer));
      return ExitCodes.OK;
    }
    JsonNode items = answer.path("items");
    if (items.isEmpty()) {
      err().println("No secrets stored. Add one: nbsecrets set NAME < value-file");
      return ExitCodes.OK;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAME", "VERSION", "UPDATED", "LAST USED", "SESSIONS"});
    for (JsonNode item : items) {
      rows.add(
          new String[] {
            item.path("name").asText(),
            item.path("version").asText(),
            Table.seconds(item.path("updatedAt").asText()),
            Table.lastUsed(item),
            item.path("usedBy").isArray() ? Integer.toString(item.path("usedBy").size()) : "?"
          });
    }
    Table.print(out(), rows);
    return ExitCodes.OK;
  }
}
