import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Title, Tooltip } from 'chart.js';

/** Chart.js parts are registered once, here (STYLE.md); charts import this module. */
Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Title, Tooltip);

export { Chart };
