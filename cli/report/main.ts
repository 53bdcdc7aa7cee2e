/**
 * Renders a run's perplexity report (the perplexity.json that the evaluate stage writes to the run's reportS3Uri)
 * as one self-contained HTML page, with the same renderer the cluster uses (cluster/training/render_report.py).
 *
 *   npm run report -- reports/pubmed-v1/perplexity.json                 # writes reports/pubmed-v1/report.html
 *   npm run report -- perplexity.json --output /tmp/pubmed-v1.html
 *   npm run report -- data/sample/evaluation/perplexity.json            # the sample report
 *
 * Runs the renderer with the project's .venv/bin/python when there is one, else python3 (standard library only).
 * Prints the path of the page.
 */
import { runCommand } from '../shared/command-line';
import { report } from './run';

runCommand(async () => report(process.argv.slice(2), { print: (line) => console.log(line) }));
