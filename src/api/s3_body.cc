// S3 upload bodies: api/s3_body.h.
#include "api/s3_body.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <memory>

#include "api/sigv4.h"
#include "model/error.h"
#include "model/key_pair.h"

namespace openvpc::api {

using model::Error;

namespace {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and CRC-64/NVME (reflected polynomial
// 0x9A6C9329AC4BC9B5), both with all-ones initial value and final xor, a byte at a time.
template <class T, T kPoly>
struct ReflectedCrc {
  static const std::array<T, 256>& Table() {
    static const std::array<T, 256> table = [] {
      std::array<T, 256> t{};
      for (unsigned i = 0; i < 256; ++i) {
        T c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
        t[i] = c;
      }
      return t;
    }();
    return table;
  }
  T state = ~T{0};
  void Update(const unsigned char* p, size_t n) {
    const auto& t = Table();
    for (size_t i = 0; i < n; ++i) state = t[(state ^ p[i]) & 0xff] ^ (state >> 8);
  }
  T Value() const { return ~state; }
};
using Crc32c = ReflectedCrc<uint32_t, 0x82F63B78u>;
using Crc64Nvme = ReflectedCrc<uint64_t, 0x9A6C9329AC4BC9B5ull>;

template <class T>
std::string BigEndian(T v) {
  std::string out(sizeof(T), '\0');
  for (size_t i = 0; i < sizeof(T); ++i) out[i] = static_cast<char>((v >> (8 * (sizeof(T) - 1 - i))) & 0xff);
  return out;
}

struct EvpDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

// One digest over the bytes as they pass.
class Digest {
 public:
  // md5, sha1, sha256, crc32, crc32c, crc64nvme
  explicit Digest(const std::string& algorithm) : algorithm_(algorithm) {
    const EVP_MD* md = algorithm == "md5" ? EVP_md5() : algorithm == "sha1" ? EVP_sha1()
                       : algorithm == "sha256"                        ? EVP_sha256()
                                                                      : nullptr;
    if (md) {
      ctx_.reset(EVP_MD_CTX_new());
      EVP_DigestInit_ex(ctx_.get(), md, nullptr);
    }
  }
  void Update(const char* p, size_t n) {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    if (ctx_) EVP_DigestUpdate(ctx_.get(), u, n);
    else if (algorithm_ == "crc32") crc32_ = crc32_z(crc32_, u, n);
    else if (algorithm_ == "crc32c") crc32c_.Update(u, n);
    else if (algorithm_ == "crc64nvme") crc64_.Update(u, n);
  }
  std::string Final() {
    if (ctx_) {
      unsigned char d[EVP_MAX_MD_SIZE];
      unsigned int n = 0;
      EVP_DigestFinal_ex(ctx_.get(), d, &n);
      return std::string(reinterpret_cast<char*>(d), n);
    }
    if (algorithm_ == "crc32") return BigEndian(static_cast<uint32_t>(crc32_));
    if (algorithm_ == "crc32c") return BigEndian(crc32c_.Value());
    return BigEndian(crc64_.Value());
  }

 private:
  std::string algorithm_;
  std::unique_ptr<EVP_MD_CTX, EvpDeleter> ctx_;
  uLong crc32_ = crc32_z(0, nullptr, 0);
  Crc32c crc32c_;
  Crc64Nvme crc64_;
};

struct FileCloser {
  void operator()(FILE* f) const {
    if (f) fclose(f);
  }
};
using File = std::unique_ptr<FILE, FileCloser>;

File Open(const std::string& path, const char* mode) {
  File f(fopen(path.c_str(), mode));
  if (!f) throw std::runtime_error("cannot open " + path);
  return f;
}

// The body as a byte source: a file or a string.
class Source {
 public:
  Source(const std::string& path, const std::string& bytes) : bytes_(bytes) {
    if (!path.empty()) file_ = Open(path, "rb");
  }
  // Up to N bytes into OUT; 0 at the end.
  size_t Read(char* out, size_t n) {
    if (file_) return fread(out, 1, n, file_.get());
    const size_t k = std::min(n, bytes_.size() - pos_);
    std::copy_n(bytes_.data() + pos_, k, out);
    pos_ += k;
    return k;
  }
  // One CRLF-terminated line (without it), at most 4 KiB; nullopt at the end or when too long.
  std::optional<std::string> Line() {
    std::string line;
    char c;
    while (Read(&c, 1) == 1) {
      if (c == '\n') {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        return line;
      }
      if (line.size() >= 4096) return std::nullopt;
      line += c;
    }
    return std::nullopt;
  }

 private:
  File file_;
  const std::string& bytes_;
  size_t pos_ = 0;
};

[[noreturn]] void Incomplete() {
  throw Error("IncompleteBody", "The request body terminated unexpectedly", 400);
}
[[noreturn]] void Malformed(const std::string& what) {
  throw Error("InvalidRequest", "The aws-chunked body is malformed: " + what, 400);
}

const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

}  // namespace

bool IsChecksumAlgorithm(const std::string& n) {
  return n == "crc32" || n == "crc32c" || n == "crc64nvme" || n == "sha1" || n == "sha256";
}

std::string Md5(const std::string& bytes) {
  Digest d("md5");
  d.Update(bytes.data(), bytes.size());
  return d.Final();
}

std::string ChecksumOfBytes(const std::string& bytes, const std::string& algorithm) {
  Digest d(algorithm);
  d.Update(bytes.data(), bytes.size());
  return model::EncodeBase64(d.Final());
}

std::string ChecksumOfFile(const std::string& path, const std::string& algorithm) {
  Digest d(algorithm);
  File f = Open(path, "rb");
  std::string buf(1 << 16, '\0');
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), f.get())) > 0) d.Update(buf.data(), n);
  return model::EncodeBase64(d.Final());
}

ReceivedBody ReceiveBody(const std::string& in_path, const std::string& in_bytes, const std::string& out_path,
                         const BodyOptions& o) {
  Source in(in_path, in_bytes);
  File out = Open(out_path, "wb");
  Digest md5("md5");
  std::optional<Digest> sha256, checksum;
  if (o.sha256) sha256.emplace("sha256");
  if (!o.checksum_algorithm.empty()) checksum.emplace(o.checksum_algorithm);
  ReceivedBody r;
  auto emit = [&](const char* p, size_t n) {
    md5.Update(p, n);
    if (sha256) sha256->Update(p, n);
    if (checksum) checksum->Update(p, n);
    if (n && fwrite(p, 1, n, out.get()) != n) throw std::runtime_error("cannot write " + out_path);
    r.size += n;
  };
  std::string buf(1 << 16, '\0');
  if (!o.aws_chunked) {
    size_t n;
    while ((n = in.Read(buf.data(), buf.size())) > 0) emit(buf.data(), n);
  } else {
    std::string previous = o.signing ? o.signing->seed_signature : "";
    for (;;) {
      auto line = in.Line();
      if (!line) Incomplete();
      // SIZE-IN-HEX[;chunk-signature=SIG]
      const auto semi = line->find(';');
      const std::string hex = line->substr(0, semi);
      uint64_t size = 0;
      if (hex.empty() || hex.size() > 15) Malformed("chunk size '" + hex + "'");
      for (char c : hex) {
        const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) Malformed("chunk size '" + hex + "'");
        size = size * 16 + static_cast<uint64_t>(v);
      }
      std::string signature;
      if (semi != std::string::npos) {
        const std::string ext = line->substr(semi + 1);
        if (ext.rfind("chunk-signature=", 0) == 0) signature = ext.substr(16);
      }
      Digest chunk_hash("sha256");
      uint64_t left = size;
      while (left > 0) {
        const size_t n = in.Read(buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
        if (n == 0) Incomplete();
        if (o.signing) chunk_hash.Update(buf.data(), n);
        emit(buf.data(), n);
        left -= n;
      }
      if (o.signing) {
        if (signature.empty())
          throw Error("SignatureDoesNotMatch", "A chunk of the aws-chunked body carries no chunk-signature.", 403);
        const std::string to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + o.signing->amz_date + "\n" + o.signing->scope +
                                    "\n" + previous + "\n" + kEmptySha256 + "\n" + HexOf(chunk_hash.Final());
        if (HexOf(HmacSha256(o.signing->key, to_sign)) != signature)
          throw Error("SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided. Check your "
                      "key and signing method.",
                      403);
        previous = signature;
      }
      if (size == 0) break;
      auto end = in.Line();
      if (!end) Incomplete();
      if (!end->empty()) Malformed("a chunk longer than its size");
    }
    // Trailing headers (NAME:VALUE lines) and an empty line; or just the empty line.
    std::string canonical_trailers, trailer_signature;
    for (;;) {
      auto line = in.Line();
      if (!line) {
        if (o.trailer) Incomplete();
        break;
      }
      if (line->empty()) break;
      const auto colon = line->find(':');
      if (colon == std::string::npos) Malformed("trailer '" + *line + "'");
      std::string name = line->substr(0, colon), value = line->substr(colon + 1);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      if (name == "x-amz-trailer-signature") {
        trailer_signature = value;
        continue;
      }
      canonical_trailers += name + ":" + value + "\n";
      r.trailers[name] = value;
    }
    if (o.signing && o.trailer) {
      const std::string to_sign = "AWS4-HMAC-SHA256-TRAILER\n" + o.signing->amz_date + "\n" + o.signing->scope +
                                  "\n" + previous + "\n" + Sha256Hex(canonical_trailers);
      if (HexOf(HmacSha256(o.signing->key, to_sign)) != trailer_signature)
        throw Error("SignatureDoesNotMatch", "The trailer signature does not match.", 403);
    }
    if (o.decoded_length && *o.decoded_length != r.size)
      throw Error("IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header", 400);
  }
  if (fflush(out.get()) != 0) throw std::runtime_error("cannot write " + out_path);
  r.md5 = md5.Final();
  if (sha256) r.sha256_hex = HexOf(sha256->Final());
  if (checksum) r.checksum = model::EncodeBase64(checksum->Final());
  return r;
}

}  // namespace openvpc::api
