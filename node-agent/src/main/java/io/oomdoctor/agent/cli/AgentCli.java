package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.AgentVersion;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code oomdoctor-agent}. */
@Command(
    name = "oomdoctor-agent",
    mixinStandardHelpOptions = true,
    versionProvider = AgentCli.Version.class,
    description = "Finds kernel OOM kills on this node and says which pod and container they hit.",
    subcommands = {RunCommand.class, ParseCommand.class, ExplainCommand.class, ScanCommand.class})
public final class AgentCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line (also used by tests). */
  public static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new AgentCli());
    cl.registerConverter(Duration.class, AgentCli::duration);
    return cl;
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /** "10s", "500ms", "2m", "1h", or ISO-8601 ("PT10S"). */
  static Duration duration(String s) {
    String v = s.trim().toLowerCase(java.util.Locale.ROOT);
    try {
      if (v.startsWith("pt") || v.startsWith("p")) {
        return Duration.parse(v.toUpperCase(java.util.Locale.ROOT));
      }
      if (v.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      }
      long n = Long.parseLong(v.substring(0, v.length() - 1));
      return switch (v.charAt(v.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new IllegalArgumentException();
      };
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException(
          "'" + s + "' is not a duration (use e.g. 10s, 500ms, 2m)");
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"oomdoctor-agent " + AgentVersion.VERSION};
    }
  }
}
