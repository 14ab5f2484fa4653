// docker-modem's redirect-following HTTP wrapper (dockerode's transport); only its limit is used.
declare module "docker-modem/lib/http.js" {
  const http: { maxRedirects: number };
  export default http;
}
