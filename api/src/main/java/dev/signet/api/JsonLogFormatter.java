package dev.signet.api;

import com.google.gson.stream.JsonWriter;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Formatter;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * {@code signet.log.format: json}: one JSON object per line with stable names (time, level, event, request_id,
 * minter, kid, outcome, duration_ms, ...). A record whose only parameter is a {@link LogEvent} becomes that
 * event's fields; any other record becomes event {@code log} with its formatted message. Exceptions appear as
 * their class and message, not as a stack trace.
 */
public final class JsonLogFormatter extends Formatter {

    @Override
    public String format(LogRecord record) {
        StringWriter out = new StringWriter(256);
        try (JsonWriter w = new JsonWriter(out)) {
            w.setHtmlSafe(false);
            w.beginObject();
            w.name("time").value(Instant.ofEpochMilli(record.getMillis()).toString());
            w.name("level").value(level(record.getLevel()));
            Object[] params = record.getParameters();
            LogEvent event = params != null && params.length == 1 && params[0] instanceof LogEvent e ? e : null;
            w.name("event").value(event == null ? "log" : event.name());
            String requestId = event != null && event.fields().containsKey("request_id") ? null
                    : RequestId.current().orElse(null);
            if (requestId != null) {
                w.name("request_id").value(requestId);
            }
            if (event != null) {
                for (Map.Entry<String, Object> f : event.fields().entrySet()) {
                    write(w.name(f.getKey()), f.getValue());
                }
            } else {
                w.name("message").value(formatMessage(record));
            }
            w.name("logger").value(record.getLoggerName());
            Throwable t = record.getThrown();
            if (t != null) {
                w.name("error").value(t.getClass().getName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.append('\n').toString();
    }

    private static void write(JsonWriter w, Object v) throws IOException {
        if (v == null) {
            w.nullValue();
        } else if (v instanceof Number n) {
            w.value(n);
        } else if (v instanceof Boolean b) {
            w.value(b);
        } else {
            w.value(v.toString());
        }
    }

    /** The System.Logger names, which operators know, rather than JUL's SEVERE/FINE. */
    static String level(Level l) {
        int v = l.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return "ERROR";
        } else if (v >= Level.WARNING.intValue()) {
            return "WARNING";
        } else if (v >= Level.INFO.intValue()) {
            return "INFO";
        } else if (v >= Level.FINE.intValue()) {
            return "DEBUG";
        }
        return "TRACE";
    }
}
