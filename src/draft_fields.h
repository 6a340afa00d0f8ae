// SPDX-License-Identifier: MIT
// The metadata of a typed record call, encoded as it is given (private).
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "decimal_access.h"
#include "event_draft.h"
#include "metadata_encoding.h"
#include "utf8.h"

namespace metered::detail {

/// The metadata fields of a typed record call (recordApiCall's operation, model, tokens…),
/// written in the event log's encoding as they are added: into a buffer on the caller's
/// stack, so a usual call neither allocates nor encodes its fields twice. Fields past the
/// buffer go to the heap; past `limit` bytes they are only counted, the draft then being
/// refused by checkDraft for its size before anything reads its metadata.
class DraftFields {
public:
    explicit DraftFields(std::size_t limit) noexcept : limit_(limit) {}
    DraftFields(const DraftFields&) = delete;
    DraftFields& operator=(const DraftFields&) = delete;

    /// A string field; an empty value is left out. Throws ValidationError("metadata.<key>")
    /// for a value that is not valid UTF-8 or holds U+0000. Inline: the keys are constants.
    [[gnu::always_inline]] void text(std::string_view key, std::string_view value) {
        if (value.empty()) return;
        if (!isStorableText(value)) notStorable(key);
        add(FieldKind::string, key, value);
    }
    /// An integer, as a JSON number.
    [[gnu::always_inline]] void integer(std::string_view key, std::int64_t value) {
        std::array<char, 48> digits;  // uninitialized; 48: copying it never reads past its end
        const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
        add(FieldKind::json, key, std::string_view(digits.data(), static_cast<std::size_t>(end - digits.data())));
    }
    /// A non-negative decimal, as a JSON number.
    void decimal(std::string_view key, const Decimal& value) {
        std::array<char, 48> digits;  // any Decimal: 38 digits and a point
        auto mantissa = DecimalAccess::mantissa(value);
        const int scale = value.scale();
        char* const end = digits.data() + digits.size();
        char* p = end;
        for (int digit = 0; mantissa != 0 || digit <= scale; ++digit) {
            if (digit == scale && scale > 0) *--p = '.';
            *--p = static_cast<char>('0' + static_cast<int>(mantissa % 10));
            mantissa /= 10;
        }
        add(FieldKind::json, key, std::string_view(p, static_cast<std::size_t>(end - p)));
    }

    /// Gives the draft these fields as its metadata (views into this object).
    void setIn(EventDraft& draft) const noexcept {
        draft.setMetadata(std::string_view(data_, size_ > limit_ ? 0 : size_), size_);
    }

private:
    [[gnu::always_inline]] void add(FieldKind kind, std::string_view key, std::string_view value) {
        const std::size_t size = encodedFieldSize(key, value);
        if (size > capacity_ - size_) [[unlikely]] {
            if (!grow(size)) return;
        }
        writeField(data_ + size_, kind, key, value);
        size_ += size;
    }
    // Room for `size` more bytes on the heap: false (counted only) past the limit.
    [[gnu::noinline]] bool grow(std::size_t size) {
        if (size > limit_ - std::min(size_, limit_)) {
            size_ += size;
            capacity_ = size_;  // nothing more is written
            return false;
        }
        if (spill_.empty()) spill_.assign(data_, size_);
        spill_.resize(std::max(size_ + size, 2 * spill_.size()));
        data_ = spill_.data();
        capacity_ = spill_.size();
        return true;
    }
    // Out of line, so that text() stays small.
    [[noreturn]] [[gnu::noinline]] static void notStorable(std::string_view key);

    std::array<char, 512> inline_;  // left uninitialized: only the first size_ bytes are read
    char* data_ = inline_.data();
    std::size_t size_ = 0;
    std::size_t capacity_ = inline_.size();
    std::size_t limit_;
    std::string spill_;
};

}  // namespace metered::detail
