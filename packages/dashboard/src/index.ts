// The public entry of @weir/dashboard: the dashboard's files, bundled on
// first use, for the coordinator to serve.
export { dashboardAssets, type DashboardAsset } from './dashboard-assets.ts';
