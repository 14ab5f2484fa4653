// The not-found page: for unknown addresses (the server answers them 404 with this page) and
// for models or predictions that do not exist.
export function NotFound({ what }: { what?: string }) {
  return (
    <div class="empty-state">
      <p class="big">404</p>
      <h1>{what ? `${what} was not found` : "This page does not exist"}</h1>
      <p class="muted">Check the address, or start from one of these:</p>
      <p class="row-inline center">
        <a class="btn" href="/">
          Models
        </a>
        <a class="btn" href="/predictions">
          Predictions
        </a>
      </p>
    </div>
  );
}
