// Entry of the web UI: a tiny client-side router over the three pages the server serves.
import { render } from "preact";
import { ModelPage } from "./views/model-page.tsx";
import { ModelsPage } from "./views/models-page.tsx";
import { PredictionPage } from "./views/prediction-page.tsx";

function App() {
  const path = location.pathname;
  const model = /^\/models\/([^/]+)\/([^/]+)$/.exec(path);
  const prediction = /^\/p\/([^/]+)$/.exec(path);
  return (
    <>
      <header>
        <a href="/" class="brand">modelhub</a>
      </header>
      <main>
        {model ? <ModelPage owner={model[1]} name={model[2]} /> : prediction ? <PredictionPage id={prediction[1]} /> : <ModelsPage />}
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
