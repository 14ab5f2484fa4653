// /predictions: every prediction, newest first.
import { Page } from "./common.tsx";
import { PredictionList } from "./prediction-list.tsx";

export function PredictionsPage() {
  return (
    <Page title="Predictions">
      <PredictionList />
    </Page>
  );
}
