package io.oomdoctor.agent.cli;

import io.oomdoctor.agent.AgentVersion;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/** Entry point of {@code oomdoctor-agent}. */
public final class AgentCli {
  private static final String USAGE =
      """
      Usage: oomdoctor-agent COMMAND [OPTIONS]
      Finds kernel OOM kills on this node and says which pod and container they hit.

      Commands:
        run      Follow the kernel log and export every OOM kill (the DaemonSet's command).
        parse    Read kernel log text (dmesg, journalctl, syslog, a pasted report) from files or
                 stdin and print one JSON object per OOM kill.
        explain  Like parse, but print for each OOM kill why it happened and what to do.
        scan     Read this host's kernel ring buffer once and print one JSON object per OOM kill.
        doctor   Triage a Docker container's exit 137: was it the OOM killer, why, and the fix.

      'oomdoctor-agent COMMAND --help' lists a command's options; --version prints the version.
      """;

  private AgentCli() {}

  public static void main(String[] args) {
    System.exit(execute(args));
  }

  /**
   * Runs one command with this process's environment and {@link System#out} and {@link System#err}
   * as they are now. Returns the exit code: 0 done, 1 failed, 2 a command line that cannot run.
   */
  public static int execute(String... args) {
    return execute(Arrays.asList(args), System::getenv, System.out, System.err);
  }

  static int execute(
      List<String> args, Function<String, String> env, PrintStream out, PrintStream err) {
    if (args.isEmpty()) {
      err.print(USAGE);
      return 2;
    }
    String command = args.get(0);
    switch (command) {
      case "--help", "-h", "help" -> {
        out.print(USAGE);
        return 0;
      }
      case "--version", "-V" -> {
        out.println("oomdoctor-agent " + AgentVersion.VERSION);
        return 0;
      }
      default -> {}
    }
    Options options =
        switch (command) {
          case "run" -> RunCommand.options(env);
          case "parse" -> ParseCommand.options(env);
          case "explain" -> ExplainCommand.options(env);
          case "scan" -> ScanCommand.options(env);
          case "doctor" -> DoctorCommand.options(env);
          default -> null;
        };
    if (options == null) {
      err.println("oomdoctor-agent: unknown command '" + command + "'");
      err.print(USAGE);
      return 2;
    }
    List<String> rest = args.subList(1, args.size());
    int end = rest.indexOf("--");
    List<String> beforeEnd = end < 0 ? rest : rest.subList(0, end);
    if (beforeEnd.contains("--help") || beforeEnd.contains("-h")) {
      out.print(options.usage());
      return 0;
    }
    try {
      options.parse(rest);
      return switch (command) {
        case "run" -> new RunCommand(options).call();
        case "parse" -> ParseCommand.run(options.positional(), out, err);
        case "explain" -> ExplainCommand.run(options.positional(), out, err);
        case "doctor" -> new DoctorCommand(options).run(out, err);
        default -> new ScanCommand(options).run(out, err);
      };
    } catch (Options.UsageException e) {
      err.println("oomdoctor-agent " + command + ": " + e.getMessage());
      err.println("Try 'oomdoctor-agent " + command + " --help'.");
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (Exception e) {
      err.println("oomdoctor-agent " + command + ": " + e);
      e.printStackTrace(err);
      return 1;
    }
  }
}
