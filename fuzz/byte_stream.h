// A Beast SyncReadStream over the fuzzer's bytes, handed out CHUNK bytes per read_some as a
// socket would, so http::read drives the parser exactly as the servers' connection loops do.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>

namespace openvpc::fuzz {

class ByteStream {
 public:
  ByteStream(const uint8_t* data, size_t size, size_t chunk) : data_(data), left_(size), chunk_(chunk ? chunk : 1) {}

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    ec = {};
    if (left_ == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    size_t n = 0;
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers); ++it) {
      boost::asio::mutable_buffer b = *it;
      size_t k = std::min({b.size(), left_, chunk_ - n});
      if (k) memcpy(b.data(), data_, k);
      data_ += k, left_ -= k, n += k;
      if (n == chunk_ || left_ == 0) break;
    }
    return n;
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  const uint8_t* data_;
  size_t left_, chunk_;
};

}  // namespace openvpc::fuzz
