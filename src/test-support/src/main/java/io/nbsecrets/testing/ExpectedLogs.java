package io.nbsecrets.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.LoggerFactory;

/**
 * Errors a test provokes on purpose, kept off the console: while a test holds {@link #expect}, the
 * ERROR events of the named loggers are counted here (for the test to check that they happened)
 * instead of printing as ERROR lines that read like a broken build. Capturing appenders on the root
 * logger still see them (the log-hygiene scans do); only the console appender of {@code
 * logback-test.xml} carries this filter. Anything else, and every error outside such a block,
 * prints as before.
 */
public final class ExpectedLogs extends Filter<ILoggingEvent> {
  static final String CONSOLE = "STDERR";
  private static final Map<String, AtomicInteger> EXPECTED = new ConcurrentHashMap<>();
  private static final AtomicBoolean INSTALLED = new AtomicBoolean();

  /** Counts of one {@link #expect} block; closing it ends the block. */
  public static final class Block implements AutoCloseable {
    private final List<String> loggers;

    private Block(List<String> loggers) {
      this.loggers = loggers;
    }

    /** ERROR events of the block's loggers since it began. */
    public int errors() {
      return loggers.stream()
          .mapToInt(l -> EXPECTED.getOrDefault(l, new AtomicInteger()).get())
          .sum();
    }

    @Override
    public void close() {
      loggers.forEach(EXPECTED::remove);
    }
  }

  /** Keeps ERROR events of the loggers of {@code classes} off the console until closed. */
  public static Block expect(Class<?>... classes) {
    if (!INSTALLED.getAndSet(true)) {
      LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
      Appender<ILoggingEvent> console =
          context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).getAppender(CONSOLE);
      if (console != null) {
        ExpectedLogs filter = new ExpectedLogs();
        filter.setContext(context);
        filter.start();
        console.addFilter(filter);
      }
    }
    List<String> loggers = java.util.Arrays.stream(classes).map(Class::getName).toList();
    loggers.forEach(l -> EXPECTED.put(l, new AtomicInteger()));
    return new Block(loggers);
  }

  @Override
  public FilterReply decide(ILoggingEvent event) {
    if (event.getLevel() == Level.ERROR) {
      AtomicInteger count = EXPECTED.get(event.getLoggerName());
      if (count != null) {
        count.incrementAndGet();
        return FilterReply.DENY;
      }
    }
    return FilterReply.NEUTRAL;
  }
}
