package io.ncf.cli;

import io.ncf.train.EpochReport;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The end-of-training chart: training loss (top panel) and HR@K / NDCG@K (bottom panel) against the epoch, as a PNG
 * drawn by JFreeChart. Two panels rather than two y-axes because loss and the metrics have unrelated scales, and a
 * shared x-axis keeps epochs aligned. Epochs before {@code --eval-after} have no metrics and leave a gap.
 */
final class TrainingChart {

    static final String FILE_NAME = "training.png";
    static final int WIDTH = 900, HEIGHT = 600;

    private TrainingChart() {}

    /** Writes the chart to {@code file} (via a temporary file and a rename, so a reader never sees half a PNG). */
    static Path write(List<EpochReport> epochs, int k, Path file) throws IOException {
        // no display is needed (or available on a server); must be set before AWT initialises
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        XYSeries loss = new XYSeries("loss"), hr = new XYSeries("HR@" + k), ndcg = new XYSeries("NDCG@" + k);
        for (EpochReport r : epochs) {
            loss.add(r.epoch(), r.loss());
            if (r.evaluated()) {
                hr.add(r.epoch(), r.hitRate());
                ndcg.add(r.epoch(), r.ndcg());
            }
        }
        NumberAxis epochAxis = new NumberAxis("epoch");
        epochAxis.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        epochAxis.setLowerMargin(0.03); // keep the first and last points clear of the frame
        epochAxis.setUpperMargin(0.03);
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(epochAxis);
        plot.setGap(12);
        plot.add(panel(new XYSeriesCollection(loss), "training loss", false, Color.RED.darker()), 1);
        XYSeriesCollection metrics = new XYSeriesCollection(hr);
        metrics.addSeries(ndcg);
        plot.add(panel(metrics, "HR / NDCG @" + k, true, Color.BLUE.darker(), Color.GREEN.darker()), 1);
        JFreeChart chart = new JFreeChart("NeuMF training", JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);

        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = io.ncf.core.AtomicFiles.siblingTemp(file, ".training-");   // the umask's mode, not owner-only
        try {
            try (OutputStream os = Files.newOutputStream(tmp)) {
                ChartUtils.writeChartAsPNG(os, chart, WIDTH, HEIGHT);
            }
            io.ncf.core.AtomicFiles.moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    private static XYPlot panel(XYSeriesCollection data, String label, boolean unitRange, Color... colors) {
        NumberAxis y = new NumberAxis(label);
        y.setAutoRangeIncludesZero(unitRange);
        if (unitRange) y.setRange(0, 1);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < colors.length; i++) renderer.setSeriesPaint(i, colors[i]);
        XYPlot p = new XYPlot(data, null, y, renderer);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }
}
