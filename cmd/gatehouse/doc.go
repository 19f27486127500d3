// Command gatehouse runs the Gatehouse identity provider (gatehouse serve) and administers it over its REST API:
// gatehouse <noun> <verb> [flags], for example gatehouse user create, gatehouse app add --gallery mixpanel or
// gatehouse app cert download --format base64. Run gatehouse --help for the list of nouns.
package main
