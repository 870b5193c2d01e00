// The HTTP/1.1 front of the EC2 endpoint (Boost.Beast): keep-alive connections, one thread
// each, every request handed to the Service. Returns when SIGINT or SIGTERM arrives.
#pragma once

#include <string>

namespace openvpc::api {

class Service;

// Binds HOST:PORT (throws on failure), calls on_listening(), serves until a signal.
void ServeHttp(const std::string& host, int port, Service& service, void (*on_listening)(const std::string&));

}  // namespace openvpc::api
