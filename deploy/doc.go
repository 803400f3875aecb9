// Package deploy holds Siyu's container images, docker-compose support files
// and Kubernetes manifests. Its tests keep them in step with the code: every
// variable a service's Config reads, every port, probe and health check.
package deploy
