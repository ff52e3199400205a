package io.oomdoctor.agent.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The daemon's log, chosen by the launcher ({@code -Dslf4j.provider=…}): the lines slf4j-simple
 * writes with the agent's settings ({@code 2026-12-03T02:45:41.381+0000 [thread] INFO Agent -
 * message}, on standard error, in UTC), without {@code SimpleDateFormat}, whose locale data (the
 * calendar and number providers and a thousand locales) cost the daemon about 3 MiB resident for a
 * timestamp. Levels are read as slf4j-simple reads them: {@code simplelogger.properties} and {@code
 * org.slf4j.simpleLogger.defaultLogLevel} / {@code org.slf4j.simpleLogger.log.NAME} system
 * properties, the longest matching name winning.
 */
public final class AgentLogProvider implements SLF4JServiceProvider {
  private static final String PREFIX = "org.slf4j.simpleLogger.";

  private ILoggerFactory loggers;
  private IMarkerFactory markers;
  private MDCAdapter mdc;

  @Override
  public ILoggerFactory getLoggerFactory() {
    return loggers;
  }

  @Override
  public IMarkerFactory getMarkerFactory() {
    return markers;
  }

  @Override
  public MDCAdapter getMDCAdapter() {
    return mdc;
  }

  @Override
  public String getRequestedApiVersion() {
    return "2.0.99";
  }

  @Override
  public void initialize() {
    Properties settings = new Properties();
    try (InputStream in =
        AgentLogProvider.class.getClassLoader().getResourceAsStream("simplelogger.properties")) {
      if (in != null) {
        settings.load(in);
      }
    } catch (IOException | IllegalArgumentException e) {
      // defaults below
    }
    loggers = new Factory(settings, System.err);
    markers = new BasicMarkerFactory();
    mdc = new NOPMDCAdapter();
  }

  /** Loggers by name, each with the level its settings give it. */
  static final class Factory implements ILoggerFactory {
    private final Properties settings;
    private final PrintStream out;
    private final Map<String, Logger> byName = new ConcurrentHashMap<>();

    Factory(Properties settings, PrintStream out) {
      this.settings = settings;
      this.out = out;
    }

    @Override
    public Logger getLogger(String name) {
      return byName.computeIfAbsent(name, n -> new AgentLogger(n, level(n), out));
    }

    /** The level of the longest configured name that is the logger's or a package of it. */
    int level(String name) {
      String n = name;
      while (true) {
        String v = setting("log." + n);
        if (v != null) {
          return parse(v);
        }
        int dot = n.lastIndexOf('.');
        if (dot < 0) {
          break;
        }
        n = n.substring(0, dot);
      }
      String d = setting("defaultLogLevel");
      return d == null ? Level.INFO.toInt() : parse(d);
    }

    private String setting(String key) {
      String v = System.getProperty(PREFIX + key);
      return v != null ? v : settings.getProperty(PREFIX + key);
    }

    static int parse(String level) {
      return switch (level.strip().toLowerCase(Locale.ROOT)) {
        case "trace" -> Level.TRACE.toInt();
        case "debug" -> Level.DEBUG.toInt();
        case "warn" -> Level.WARN.toInt();
        case "error" -> Level.ERROR.toInt();
        case "off" -> Integer.MAX_VALUE;
        default -> Level.INFO.toInt();
      };
    }
  }

  /** Writes one line a call (and the stack of a throwable after it). */
  static final class AgentLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;

    private final transient PrintStream out;
    private final String shortName;
    private final int level;

    AgentLogger(String name, int level, PrintStream out) {
      this.name = name;
      this.shortName = name.substring(name.lastIndexOf('.') + 1);
      this.level = level;
      this.out = out;
    }

    @Override
    public boolean isTraceEnabled() {
      return level <= Level.TRACE.toInt();
    }

    @Override
    public boolean isDebugEnabled() {
      return level <= Level.DEBUG.toInt();
    }

    @Override
    public boolean isInfoEnabled() {
      return level <= Level.INFO.toInt();
    }

    @Override
    public boolean isWarnEnabled() {
      return level <= Level.WARN.toInt();
    }

    @Override
    public boolean isErrorEnabled() {
      return level <= Level.ERROR.toInt();
    }

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level lvl, Marker marker, String pattern, Object[] args, Throwable thrown) {
      StringBuilder sb = new StringBuilder(128);
      timestamp(sb, System.currentTimeMillis());
      sb.append(" [")
          .append(Thread.currentThread().getName())
          .append("] ")
          .append(lvl.name())
          .append(' ')
          .append(shortName)
          .append(" - ")
          .append(MessageFormatter.basicArrayFormat(pattern, args));
      synchronized (out) {
        out.println(sb);
        if (thrown != null) {
          thrown.printStackTrace(out);
        }
        out.flush();
      }
    }

    /** {@code yyyy-MM-dd'T'HH:mm:ss.SSS+0000}, in UTC. */
    static void timestamp(StringBuilder sb, long millis) {
      LocalDateTime t =
          LocalDateTime.ofEpochSecond(
              Math.floorDiv(millis, 1000),
              (int) Math.floorMod(millis, 1000) * 1_000_000,
              ZoneOffset.UTC);
      pad(sb, t.getYear(), 4).append('-');
      pad(sb, t.getMonthValue(), 2).append('-');
      pad(sb, t.getDayOfMonth(), 2).append('T');
      pad(sb, t.getHour(), 2).append(':');
      pad(sb, t.getMinute(), 2).append(':');
      pad(sb, t.getSecond(), 2).append('.');
      pad(sb, t.getNano() / 1_000_000, 3).append("+0000");
    }

    private static StringBuilder pad(StringBuilder sb, int v, int width) {
      String s = Integer.toString(v);
      for (int i = s.length(); i < width; i++) {
        sb.append('0');
      }
      return sb.append(s);
    }
  }
}
