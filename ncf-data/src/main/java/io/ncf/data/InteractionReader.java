package io.ncf.data;

import org.datavec.api.records.Record;
import org.datavec.api.records.metadata.RecordMetaData;
import org.datavec.api.records.metadata.RecordMetaDataLine;
import org.datavec.api.records.reader.RecordReader;
import org.datavec.api.writable.Writable;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads interactions from any DataVec {@link RecordReader} (CSV, JDBC, in-memory collections, …), so every
 * DataVec source can feed ncf. Values are taken with {@code Writable.toString()}.
 * <p>
 * If {@code spec.hasHeader()}, the first record is the header (configure the reader to skip no lines, e.g.
 * {@code new CSVRecordReader(0, ',')}); it resolves columns chosen by name. Errors name the file and the 1-based
 * line from the record's {@link RecordMetaDataLine} where the reader provides one, else the source name and the
 * 1-based record number.
 */
public final class InteractionReader {

    private InteractionReader() {}

    public static RawInteractions read(RecordReader rr, ColumnSpec spec, String sourceName) {
        RawInteractions raw = new RawInteractions(sourceName, spec.hasTimestamp());
        ColumnSpec s = spec.hasHeader() ? null : spec;
        String[] header = null;
        int expected = 0;
        long records = 0;
        String firstFile = sourceName;
        while (rr.hasNext()) {
            List<Writable> fields;
            RecordMetaData meta = null;
            try {
                Record rec = rr.nextRecord();
                fields = rec.getRecord();
                meta = rec.getMetaData();
            } catch (UnsupportedOperationException noMeta) {
                fields = rr.next();
            }
            records++;
            String file = sourceName;
            long line = records;
            if (meta instanceof RecordMetaDataLine ml) line = ml.getLineNumber() + 1L;
            if (meta != null && meta.getURI() != null) file = name(meta.getURI());
            if (records == 1) firstFile = file;
            int n = fields.size();
            if (s == null) {
                header = new String[n];
                for (int k = 0; k < n; k++) header[k] = fields.get(k).toString();
                if (n > 0 && header[0].startsWith("\uFEFF")) header[0] = header[0].substring(1);
                s = spec.resolve(List.of(header), file);
                expected = n;
                if (n < s.minFields()) throw DataFormatException.at(file, line, "header has " + n + " fields, too few for " + s);
                continue;
            }
            if (expected == 0) {
                expected = n;
                if (n < s.minFields()) throw DataFormatException.at(file, line, "expected at least " + s.minFields()
                        + " fields for " + s + ", found " + n);
            }
            if (n != expected) throw DataFormatException.at(file, line, "expected " + expected + " fields, found " + n);
            int uc = s.userColumn(), ic = s.itemColumn(), tc = s.timestampColumn();
            String user = fields.get(uc).toString();
            String item = fields.get(ic).toString();
            if (user.isEmpty()) throw DataFormatException.atField(file, line, uc, s.fieldName(uc, header), "empty user id");
            if (item.isEmpty()) throw DataFormatException.atField(file, line, ic, s.fieldName(ic, header), "empty item id");
            long t = 0;
            if (tc >= 0) {
                String ts = fields.get(tc).toString();
                try {
                    t = Long.parseLong(ts);
                } catch (NumberFormatException e) {
                    throw DataFormatException.atField(file, line, tc, s.fieldName(tc, header), "'" + ts + "' is not an integer");
                }
            }
            raw.add(user, item, t);
        }
        if (raw.size() == 0) throw new DataFormatException(firstFile + ": no data rows" + (header != null ? " (only a header)" : " (empty input)"));
        return raw;
    }

    private static String name(URI uri) {
        try {
            return RatingsRecordReader.displayName(uri);
        } catch (RuntimeException e) {
            return uri.toString();
        }
    }

    /** Convenience for tests and tools: the fields of every record as strings. */
    static List<List<String>> strings(RecordReader rr) {
        List<List<String>> out = new ArrayList<>();
        while (rr.hasNext()) {
            List<String> row = new ArrayList<>();
            for (Writable w : rr.next()) row.add(w.toString());
            out.add(row);
        }
        return out;
    }
}
