#include "remote/test_servers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

namespace berth::remote::testing {
namespace {

bool CanConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 307:
      return "Temporary Redirect";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    default:
      return "Status";
  }
}

}  // namespace

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("berth-remote-test-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool WriteHtpasswd(const std::filesystem::path& file, const std::string& user,
                   const std::string& password) {
  std::string cmd =
      "htpasswd -B -b -c '" + file.string() + "' '" + user + "' '" + password + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

bool WriteSelfSignedCert(const std::filesystem::path& cert, const std::filesystem::path& key) {
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key.string() + "' -out '" + cert.string() + "' -days 2 >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

std::unique_ptr<RegistryProcess> RegistryProcess::Start(const Options& options,
                                                        std::string* error) {
  std::unique_ptr<RegistryProcess> reg(new RegistryProcess());
  reg->port_ = FreePort();
  auto config = reg->dir_.path() / "config.yml";
  {
    std::ofstream out(config);
    out << "version: 0.1\nlog: {level: error}\nstorage:\n"
        << "  filesystem: {rootdirectory: " << (reg->dir_.path() / "data").string() << "}\n"
        << "  delete: {enabled: true}\nhttp:\n"
        << "  addr: 127.0.0.1:" << reg->port_ << "\n  secret: test-secret\n";
    if (!options.tls_cert.empty()) {
      out << "  tls: {certificate: " << options.tls_cert << ", key: " << options.tls_key << "}\n";
    }
    if (!options.htpasswd_file.empty()) {
      out << "auth: {htpasswd: {realm: basic-realm, path: " << options.htpasswd_file << "}}\n";
    }
  }
  std::string log = (reg->dir_.path() / "registry.log").string();
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execlp("docker-registry", "docker-registry", "serve", config.c_str(), nullptr);
    _exit(127);
  }
  reg->pid_ = pid;
  reg->url_ = std::string(options.tls_cert.empty() ? "http" : "https") +
              "://127.0.0.1:" + std::to_string(reg->port_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    if (CanConnect(reg->port_)) return reg;
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      reg->pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (error) *error = "docker-registry did not start: " + ReadFile(log);
  return nullptr;
}

RegistryProcess::~RegistryProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
  }
}

std::string MiniRequest::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

MiniHttpServer::MiniHttpServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(listen_fd_, 16);
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

MiniHttpServer::~MiniHttpServer() {
  stop_ = true;
  thread_.join();
  close(listen_fd_);
}

void MiniHttpServer::Loop() {
  while (!stop_) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    std::string data;
    char buf[8192];
    size_t header_end = std::string::npos;
    while (header_end == std::string::npos) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      data.append(buf, static_cast<size_t>(n));
      header_end = data.find("\r\n\r\n");
    }
    if (header_end == std::string::npos) {
      close(fd);
      continue;
    }
    MiniRequest request;
    std::istringstream lines(data.substr(0, header_end));
    std::string line;
    std::getline(lines, line);
    std::istringstream first(line);
    first >> request.method >> request.target;
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos) continue;
      size_t start = line.find_first_not_of(' ', colon + 1);
      request.headers[Lower(line.substr(0, colon))] =
          start == std::string::npos ? "" : line.substr(start);
    }
    request.body = data.substr(header_end + 4);
    size_t want = static_cast<size_t>(std::atoll(request.Header("content-length").c_str()));
    while (request.body.size() < want) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      request.body.append(buf, static_cast<size_t>(n));
    }
    Reply reply = handler_(request);
    if (reply.drop) {
      close(fd);
      continue;
    }
    std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + Reason(reply.status) +
                      "\r\nConnection: close\r\n";
    for (const auto& [name, value] : reply.headers) out += name + ": " + value + "\r\n";
    out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n\r\n";
    if (request.method != "HEAD") {
      out += reply.stall_after < 0 ? reply.body
                                   : reply.body.substr(0, static_cast<size_t>(reply.stall_after));
    }
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    while (reply.stall_after >= 0 && !stop_) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    shutdown(fd, SHUT_WR);
    close(fd);
  }
}

}  // namespace berth::remote::testing
